/** Limits of the protocol that the server enforces and clients keep within: one home for each, read by the schemas, the server and the SDK. */

/** Longest `id` a client message may carry (replies echo it in `meta.reply_to`). */
export const MAX_MESSAGE_ID_LENGTH = 128;
/** Longest `X-Client-ID` / `?client_id=`. */
export const MAX_CLIENT_ID_LENGTH = 128;
/** Most patterns one `subscribe` or `unsubscribe` names; a client restoring more sends several. */
export const MAX_PATTERNS_PER_REQUEST = 100;
/** Most metric names one `request_data` (or `GET /api/v1/performance/history`) asks for. */
export const MAX_METRICS_PER_REQUEST = 50;
/** Upper bound of `request_data.history_minutes` (one day of raw samples). */
export const MAX_HISTORY_MINUTES = 1440;
/** Longest `resolution` of a resolved alert, and `comment` of an acknowledgement or a silence. */
export const MAX_RESOLUTION_LENGTH = 2000;
/** Longest `alert_id` a request may name. */
export const MAX_ALERT_ID_LENGTH = 200;
/** Longest filter key (a field path such as `tags.endpoint`), in `subscribe` filters and silence matchers. */
export const MAX_FILTER_KEY_LENGTH = 128;
/** Most events one page of `GET /api/v1/events/history` returns. */
export const MAX_EVENT_HISTORY_LIMIT = 500;
/** Most log entries one page of `GET /api/v1/events/history` reads looking for matches: a page may hold fewer than `limit` and still have a `next_before`. */
export const MAX_EVENT_HISTORY_SCAN = 10_000;
