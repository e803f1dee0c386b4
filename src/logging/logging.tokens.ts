/** The process's pino logger (see createAppLogger). */
export const APP_LOGGER = Symbol('AppLogger');

/** Where log lines go: standard output; tests replace it to read what was logged. */
export const LOG_DESTINATION = Symbol('LogDestination');
