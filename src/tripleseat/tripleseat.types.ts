/**
 * TripleSeat shapes as the API sends them. Money and quantities may be numbers or numeric
 * strings, ids numbers or strings, statuses in any case: callers normalise, never trust.
 */
export type Numeric = number | string;

/**
 * A line of a document, present only when the event is fetched with `show_financial=true`
 * (upstream-facts §1.4 "Documents and invoice amounts", from the typed C# client's `Document.cs`).
 */
export interface TripleSeatLineItem {
  id?: Numeric | null;
  quantity?: Numeric | null;
  /** Unit price. */
  price?: Numeric | null;
  total_price?: Numeric | null;
  discount?: Numeric | null;
  position?: Numeric | null;
  billing_ids?: Numeric[] | null;
  grand_total?: Numeric | null;
  display_name?: string | null;
  description?: string | null;
  long_description?: string | null;
  category?: { id?: Numeric | null; name?: string | null; internal_name?: string | null } | null;
  section?: string | null;
  section_position?: Numeric | null;
  menu_item_id?: Numeric | null;
}

/** e.g. `{ description: "Service Charge", value: "20.0%", total_price: "37.60" }`. */
export interface TripleSeatBillingTotal {
  billing_id?: Numeric | null;
  description?: string | null;
  value?: Numeric | null;
  total_price?: Numeric | null;
}

export interface TripleSeatFinancials {
  amount_due?: Numeric | null;
  grand_total?: Numeric | null;
  discounts_total?: Numeric | null;
}

/**
 * An event document (proposal, contract, invoice, BEO). There is no `type`: the invoice is found by
 * its `title`. `line_items`, `billing_totals`, `category_totals`, `financials` and `payment_set`
 * come only with `show_financial=true`.
 */
export interface TripleSeatDocument {
  id?: Numeric | null;
  title?: string | null;
  template_document_id?: Numeric | null;
  deleted_at?: string | null;
  views?: { name?: string | null; url?: string | null }[] | null;
  line_items?: TripleSeatLineItem[] | null;
  billing_totals?: TripleSeatBillingTotal[] | null;
  category_totals?: unknown[] | null;
  financials?: TripleSeatFinancials | null;
  payment_set?: Record<string, unknown> | null;
}

export interface TripleSeatContact {
  first_name?: string | null;
  last_name?: string | null;
  phone_numbers?:
    { id?: Numeric | null; number?: string | null; phone_number_type?: string | null }[] | null;
}

export interface TripleSeatEvent {
  id: Numeric;
  name?: string | null;
  status?: string | null;
  event_date?: string | null;
  event_date_iso8601?: string | null;
  /** `MM/DD/YYYY hh:mm AM/PM`, the site's local time. */
  event_start?: string | null;
  event_end?: string | null;
  /** `YYYY-MM-DDThh:mm:ss-hh:mm`. */
  event_start_iso8601?: string | null;
  /** `hh:mm AM/PM`. */
  event_start_time?: string | null;
  site_id?: Numeric | null;
  location_id?: Numeric | null;
  booking_id?: Numeric | null;
  guest_count?: Numeric | null;
  updated_at?: string | null;
  grand_total?: Numeric | null;
  actual_amount?: Numeric | null;
  contact?: TripleSeatContact | null;
  /** Only with `show_financial=true`; a search result and a webhook delivery carry none. */
  documents?: TripleSeatDocument[] | null;
}

export interface TripleSeatCustomField {
  id?: Numeric | null;
  custom_field_id?: Numeric | null;
  custom_field_name?: string | null;
  custom_field_slug?: string | null;
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
