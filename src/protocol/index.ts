/** The protocol shared by server and clients: message types, event names, errors, schemas. */
export * from './message-types.js';
export * from './events.js';
export * from './errors.js';
export * from './limits.js';
export * from './client-messages.js';
export * from './event-data.js';
export * from './narrow.js';
export * from './server-messages.js';
export * from './notifications.js';
export * from './alert-management.js';
export * from './rest-reads.js';
export * from './torrents.js';
export * from './torrent-groups.js';
export * from './torrent-updates.js';
