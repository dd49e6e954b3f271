export * from './connections.js';
export * from './scheduled-tasks.js';
export * from './task-executions.js';
