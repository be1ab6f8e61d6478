/**
 * Revel shapes as its Tastypie-style REST API sends and accepts them. References between records
 * are resource URIs (`/resources/Order/10685039/`), money is a decimal that Revel may render as a
 * number or a string, so readers normalise and writers send exact decimal strings.
 */
export type RevelDecimal = number | string;

/** Every Revel record is addressed by its numeric id and its URI. */
export interface RevelResource {
  id: number;
  resource_uri: string;
}

export interface RevelListMeta {
  limit: number;
  offset: number;
  /** Path and query of the next page, or null on the last one. */
  next: string | null;
  previous: string | null;
  total_count: number;
}

export interface RevelList<T> {
  meta: RevelListMeta;
  objects: T[];
}

export interface RevelAppliedDiscount extends RevelResource {
  name: string;
  discount: string;
  discount_amount: string;
  rule_amount: string;
  order: string;
}

export interface RevelAppliedTax {
  name: string;
  tax_rate: string;
  resource_uri: string;
}

/** What we send to create an order; Revel echoes it back with id and resource_uri. */
export interface RevelOrderCreate {
  uuid: string;
  establishment: string;
  local_id: string;
  notes: string;
  call_name?: string;
  pos_mode: string;
  web_order: boolean;
  dining_option: number;
  created_by: string;
  updated_by: string;
  station: string;
  created_at: string;
  last_updated_at: string;
  created_date: string;
  updated_date: string;
  subtotal: RevelDecimal;
  final_total: RevelDecimal;
  tax: RevelDecimal;
  remaining_due: RevelDecimal;
  surcharge: RevelDecimal;
}

/** Fields we PATCH on an order (discount, then the finalising totals). */
export interface RevelOrderPatch {
  /** A Discount URI; null removes the discount (a resync whose invoice no longer has one). */
  discount?: string | null;
  discount_amount?: RevelDecimal;
  discount_rule_amount?: RevelDecimal;
  discount_reason?: string;
  discounted_by?: string;
  subtotal?: RevelDecimal;
  surcharge?: RevelDecimal;
  final_total?: RevelDecimal;
  opened?: boolean;
  printed?: boolean;
  updated_by?: string;
  updated_date?: string;
}

export interface RevelOrder extends RevelResource {
  /** Null on some orders rung up long ago; ours always carry one. */
  uuid: string | null;
  establishment: string;
  local_id: string | null;
  notes?: string | null;
  call_name?: string | null;
  pos_mode?: string | null;
  web_order?: boolean;
  dining_option?: number | null;
  created_date?: string | null;
  updated_date?: string | null;
  created_by?: string | null;
  updated_by?: string | null;
  station?: string | null;
  created_at?: string | null;
  last_updated_at?: string | null;
  subtotal?: RevelDecimal | null;
  final_total?: RevelDecimal | null;
  tax?: RevelDecimal | null;
  surcharge?: RevelDecimal | null;
  remaining_due?: RevelDecimal | null;
  discount?: string | null;
  discount_amount?: RevelDecimal | null;
  discount_rule_amount?: RevelDecimal | null;
  discount_reason?: string | null;
  discounted_by?: string | null;
  is_discounted?: boolean;
  applied_discounts?: RevelAppliedDiscount[];
  applied_taxes?: RevelAppliedTax[];
  opened?: boolean;
  printed?: boolean;
  /** Derived by Revel (read-only): the order is paid and its history closed. */
  closed?: boolean;
  has_history?: boolean;
  orderhistory?: string[];
  reporting_id?: string | null;
  version?: number;
  deleted?: boolean;
}

export interface RevelOrderItemCreate {
  uuid: string;
  order: string;
  product: string;
  quantity: number;
  price: RevelDecimal;
  initial_price: RevelDecimal;
  price_to_display: RevelDecimal;
  created_by: string;
  updated_by: string;
  station: string;
  created_date: string;
  updated_date: string;
  tax_amount: RevelDecimal;
  modifier_amount: RevelDecimal;
  tax_rate: RevelDecimal;
  temp_sort: number;
  dining_option: number;
}

export interface RevelOrderItem
  extends RevelResource, Partial<Omit<RevelOrderItemCreate, 'uuid' | 'order'>> {
  uuid: string;
  order: string;
}

/** Fields a resync PATCHes on an order item of ours. */
export interface RevelOrderItemPatch {
  quantity?: number;
  price?: RevelDecimal;
  initial_price?: RevelDecimal;
  price_to_display?: RevelDecimal;
  updated_by?: string;
  updated_date?: string;
}

export interface RevelPaymentCreate {
  uuid: string;
  order: string;
  payment_type: number;
  amount: RevelDecimal;
  tip: RevelDecimal;
  payment_date: string;
  created_date: string;
  updated_date: string;
  created_by: string;
  updated_by: string;
  station: string;
  establishment: string;
}

export interface RevelPayment
  extends RevelResource, Partial<Omit<RevelPaymentCreate, 'uuid' | 'order' | 'amount'>> {
  uuid: string;
  order: string;
  amount: RevelDecimal;
}

/** Fields a resync PATCHes on our payment. */
export interface RevelPaymentPatch {
  amount?: RevelDecimal;
  updated_by?: string;
  updated_date?: string;
}

export interface RevelOrderHistoryCreate {
  uuid: string;
  order: string;
  order_opened_by: string;
  order_opened_at: string;
  opened: string;
  /** Set when the order is fully paid; Revel then derives the order's `closed`. */
  closed?: string;
}

export interface RevelOrderHistory
  extends RevelResource, Partial<Omit<RevelOrderHistoryCreate, 'uuid' | 'order'>> {
  uuid: string;
  order: string;
}

export interface RevelProduct extends RevelResource {
  name: string;
  price: RevelDecimal | null;
  cost?: RevelDecimal | null;
  active?: boolean;
  deleted?: boolean;
  establishment?: string;
}

/** Builders for the URIs Revel uses as references, so no caller hand-formats one. */
export const revelUri = {
  establishment: (id: number | string): string => `/enterprise/Establishment/${id}/`,
  user: (id: number | string): string => `/enterprise/User/${id}/`,
  posStation: (id: number | string): string => `/resources/PosStation/${id}/`,
  product: (id: number | string): string => `/resources/Product/${id}/`,
  discount: (id: number | string): string => `/resources/Discount/${id}/`,
  order: (id: number | string): string => `/resources/Order/${id}/`,
  orderItem: (id: number | string): string => `/resources/OrderItem/${id}/`,
  payment: (id: number | string): string => `/resources/Payment/${id}/`,
};
