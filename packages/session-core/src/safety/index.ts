export { FORBIDDEN_KEYS, findForbiddenKey, isForbiddenKey } from './own-properties.js';
