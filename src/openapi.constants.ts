/** Names of the OpenAPI security schemes, shared by the controllers and the document. */
export const API_TOKEN_SECURITY = 'sync-api-token';
export const WEBHOOK_SIGNATURE_SECURITY = 'tripleseat-signature';
export const METRICS_SECURITY = 'metrics-token';
