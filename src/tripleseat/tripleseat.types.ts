/**
 * TripleSeat shapes as the API sends them. Money and quantities may be numbers or numeric
 * strings, ids numbers or strings, statuses in any case: callers normalise, never trust.
 */
export type Numeric = number | string;

export interface TripleSeatLineItem {
  name?: string | null;
  quantity?: Numeric | null;
  price?: Numeric | null;
}

export interface TripleSeatDocument {
  type?: string | null;
  subtotal?: Numeric | null;
  grand_total?: Numeric | null;
  total?: Numeric | null;
  amount_due?: Numeric | null;
}

export interface TripleSeatContact {
  first_name?: string | null;
  last_name?: string | null;
  phone?: string | null;
  phone_numbers?: { number?: string | null }[] | null;
}

export interface TripleSeatEvent {
  id: Numeric;
  name?: string | null;
  status?: string | null;
  event_date?: string | null;
  event_date_iso8601?: string | null;
  event_start?: string | null;
  event_end?: string | null;
  site_id?: Numeric | null;
  location_id?: Numeric | null;
  booking_id?: Numeric | null;
  guest_count?: Numeric | null;
  updated_at?: string | null;
  grand_total?: Numeric | null;
  contact?: TripleSeatContact | null;
  guest_name?: string | null;
  client_name?: string | null;
  host_name?: string | null;
  phone?: string | null;
  guest_phone?: string | null;
  items?: TripleSeatLineItem[] | null;
  menu_items?: TripleSeatLineItem[] | null;
  documents?: TripleSeatDocument[] | null;
}

export interface TripleSeatCustomField {
  custom_field_name?: string | null;
  value?: string | null;
}

export interface TripleSeatBooking {
  id: Numeric;
  site_id?: Numeric | null;
  location_id?: Numeric | null;
  status?: string | null;
  event_id?: Numeric | null;
  event_ids?: Numeric[] | null;
  custom_fields?: TripleSeatCustomField[] | null;
}

/** Filters for the event search; dates are calendar dates (YYYY-MM-DD) and are sent as MM/DD/YYYY. */
export interface EventSearchFilter {
  /** Lower bound on the event date. */
  fromDate: string;
  /** Upper bound on the event date. */
  toDate: string;
  /** Statuses to include, any case; all when absent. */
  statuses?: string[];
}
