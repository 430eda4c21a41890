export { FORBIDDEN_KEYS, findForbiddenKey, isForbiddenKey } from './own-properties.js';
export {
  BUILT_IN_REDACTION_RULES,
  createRedactor,
  type RedactionRule,
  type RedactOptions,
  type Redactor,
  type RedactSetting,
  redactDeep,
  redactingStorage,
} from './redact.js';
