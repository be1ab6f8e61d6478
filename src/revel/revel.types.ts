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
  /**
   * Station URIs (not times), as on a captured order; Order has no `station` (upstream-facts §2.4).
   */
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
  printed?: boolean;
  updated_by?: string;
  updated_date?: string;
}

/**
 * An order as Revel answers a GET (upstream-facts §2.4). Only the fields we read or that
 * §2.4 itemises are typed; the full key set is {@link REVEL_ORDER_FIELDS}. There is no `opened`
 * and no `station` on an Order.
 */
export interface RevelOrder extends RevelResource {
  /** Null on some orders rung up long ago; ours always carry one. */
  uuid: string | null;
  establishment: string;
  local_id: string | null;
  notes?: string | null;
  call_name?: string | null;
  call_number?: string | number | null;
  pos_mode?: string | null;
  web_order?: boolean;
  dining_option?: number | null;
  created_date?: string | null;
  updated_date?: string | null;
  created_by?: string | null;
  updated_by?: string | null;
  /** A PosStation URI, not a time (upstream-facts §2.2). */
  created_at?: string | null;
  /** A PosStation URI, not a time (upstream-facts §2.2). */
  last_updated_at?: string | null;
  customer?: string | null;
  subtotal?: RevelDecimal | null;
  final_total?: RevelDecimal | null;
  tax?: RevelDecimal | null;
  surcharge?: RevelDecimal | null;
  service_charge?: RevelDecimal | null;
  gratuity?: RevelDecimal | null;
  remaining_due?: RevelDecimal | null;
  service_fee_untaxed?: RevelDecimal | null;
  discount_total_amount?: RevelDecimal | null;
  discount?: string | null;
  discount_amount?: RevelDecimal | null;
  discount_rule_amount?: RevelDecimal | null;
  discount_reason?: string | null;
  discounted_by?: string | null;
  is_discounted?: boolean;
  applied_discounts?: RevelAppliedDiscount[];
  applied_taxes?: RevelAppliedTax[];
  applied_service_fee?: unknown[];
  printed?: boolean;
  /** Derived by Revel (read-only): the order is paid and its history closed. */
  closed?: boolean;
  has_items?: boolean;
  has_history?: boolean;
  is_unpaid?: boolean;
  is_invoice?: boolean;
  is_readonly?: boolean;
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

/**
 * An establishment, from `GET /enterprise/Establishment/<id>/` (upstream-facts §2.2: under
 * /enterprise/).
 */
export interface RevelEstablishment extends RevelResource {
  name?: string;
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
  orderHistory: (id: number | string): string => `/resources/OrderHistory/${id}/`,
};

/*
 * Field lists of the resources we write, i.e. the fields a real Revel object of that resource has.
 * The Revel sandbox checks every POST/PATCH body against them and records any other field, so a
 * writer that sends something Revel does not know (and silently ignores) shows up in tests.
 */

/**
 * Every key of a real Order GET: the fields upstream-facts §2.4 itemises, then the other keys of
 * the same captured order (the old connector's `order_10685039.json` and `order_10684118.json`,
 * upstream-facts §0: identical key sets), which include every Order filter of upstream-facts §2.2.
 * There is NO `opened` and NO `station` on Order (upstream-facts §2.4).
 */
export const REVEL_ORDER_FIELDS = [
  // upstream-facts §2.4 identity and text
  'id',
  'uuid',
  'resource_uri',
  'local_id',
  'notes',
  'call_name',
  'call_number',
  'pos_mode',
  'dining_option',
  // upstream-facts §2.4 flags
  'web_order',
  'closed',
  'printed',
  'has_items',
  'has_history',
  'deleted',
  'is_unpaid',
  'is_invoice',
  'is_readonly',
  'version',
  // upstream-facts §2.4 money
  'subtotal',
  'final_total',
  'tax',
  'remaining_due',
  'discount_amount',
  'discount_rule_amount',
  'discount_reason',
  'is_discounted',
  'discounted_by',
  'discount',
  'surcharge',
  'service_charge',
  'gratuity',
  'service_fee_untaxed',
  'discount_total_amount',
  // upstream-facts §2.4 links and timestamps
  'establishment',
  'created_by',
  'updated_by',
  'created_at',
  'last_updated_at',
  'customer',
  'created_date',
  'updated_date',
  // upstream-facts §2.4 nested
  'applied_discounts',
  'applied_taxes',
  'applied_service_fee',
  'orderhistory',
  'reporting_id',
  // The rest of the captured order (LEG order_10685039.json), not itemised in §2.4.
  'asap',
  'auto_grat_pct',
  'bill_number',
  'bill_parent',
  'billing_address',
  'billing_zip_code',
  'bills_info',
  'bills_type',
  'check_sum',
  'crv_taxed',
  'crv_value',
  'customer_address_distance',
  'customer_birthdate',
  'deleted_discounts',
  'delivery_address',
  'delivery_clock_in',
  'delivery_clock_out',
  'delivery_distance',
  'delivery_duration',
  'delivery_employee',
  'delivery_estimated_distance',
  'device_id',
  'discount_code',
  'discount_nontaxable_surcharge_included',
  'discount_rule_type',
  'discount_tax_amount',
  'discount_tax_amount_included',
  'discount_taxed',
  'drive_through_data',
  'exchange_discount',
  'exchanged',
  'external_sync',
  'fleet_service_data',
  'gift_reward_data',
  'gratuity_type',
  'ha_applied',
  'has_delivery_info',
  'invoice_date',
  'kitchen_status',
  'loyalty_account_id',
  'notification_email_sent',
  'notification_text_sent',
  'number_of_people',
  'package',
  'pickup_data',
  'pickup_time',
  'points_added',
  'points_redeemed',
  'prevailing_surcharge',
  'prevailing_tax',
  'registry_data',
  'rounding_delta',
  'running_tax_number',
  'sent',
  'service_fee_tax',
  'service_fee_taxed',
  'smart_order',
  'smartpay_gratuity',
  'smartpay_tip',
  'surcharge_excluded',
  'table',
  'table_owner',
  'tax_country',
  'tax_excluded_amount',
  'tax_rebate',
  'tax_rounding_model',
  'taxable_surcharge',
  'taxable_surcharge_excluded',
  'vehicle',
  'virtual_data',
] as const;

/**
 * OrderItem: the old connector's item body (upstream-facts §3.2, accepted by production Revel),
 * the OrderItem filters of upstream-facts §2.2, and id/uuid/resource_uri. No real OrderItem GET was
 * captured, so this list is what we know, not necessarily all Revel has.
 */
export const REVEL_ORDER_ITEM_FIELDS = [
  'id',
  'uuid',
  'resource_uri',
  // upstream-facts §3.2
  'order',
  'product',
  'quantity',
  'price',
  'initial_price',
  'price_to_display',
  'created_by',
  'updated_by',
  'station',
  'created_date',
  'updated_date',
  'tax_amount',
  'modifier_amount',
  'temp_sort',
  'tax_rate',
  'dining_option',
  // upstream-facts §2.2 OrderItem filters not already above
  'voided_date',
  'catering_complete',
  'catering_delivery_date',
] as const;

/**
 * Payment: the old connector's payment body (upstream-facts §3.2, accepted by production Revel),
 * the Payment filters of upstream-facts §2.2, and id/uuid/resource_uri. No real Payment GET was
 * captured.
 */
export const REVEL_PAYMENT_FIELDS = [
  'id',
  'uuid',
  'resource_uri',
  // upstream-facts §3.2
  'order',
  'payment_type',
  'amount',
  'tip',
  'payment_date',
  'created_date',
  'updated_date',
  'created_by',
  'updated_by',
  'station',
  'establishment',
  // upstream-facts §2.2 Payment filters not already above
  'refund_transaction_id',
  'transaction_id',
] as const;

/**
 * OrderHistory: the old connector's history body (upstream-facts §3.2, accepted by production
 * Revel), the OrderHistory filters of upstream-facts §2.2 (`opened, order, closed, uuid`), and
 * id/uuid/resource_uri. No real OrderHistory GET was captured.
 */
export const REVEL_ORDER_HISTORY_FIELDS = [
  'id',
  'uuid',
  'resource_uri',
  // upstream-facts §3.2 (and the upstream-facts §2.2 filters)
  'order',
  'order_opened_by',
  'order_opened_at',
  'opened',
  'closed',
] as const;

export type RevelOrderField = (typeof REVEL_ORDER_FIELDS)[number];

/** The field lists above by resource name, as the sandbox looks them up from a path. */
export const REVEL_KNOWN_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Order: REVEL_ORDER_FIELDS,
  OrderItem: REVEL_ORDER_ITEM_FIELDS,
  Payment: REVEL_PAYMENT_FIELDS,
  OrderHistory: REVEL_ORDER_HISTORY_FIELDS,
};
