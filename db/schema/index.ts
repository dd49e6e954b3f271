export * from './connections.js';
export * from './scheduled-tasks.js';
export * from './task-executions.js';
export * from './notification-channels.js';
export * from './notification-deliveries.js';
export * from './notification-attempts.js';
export * from './execution-counts.js';
