export {
  MissingTemplateVariablesError,
  SessionRequiredError,
  TemplateDataError,
  TemplateError,
  type TemplateErrorKind,
  TemplateFrontmatterError,
  TemplatePermissionError,
} from './errors.js';
export { type PromptTemplate, parsePromptTemplate, type TemplateFrontmatter } from './frontmatter.js';
export { applyInputSchema, type InputField, type InputType } from './input-schema.js';
export { formatValue, interpolate, lookupPath, templateVariables } from './interpolate.js';
export {
  loadPromptTemplate,
  type RenderedPrompt,
  type RenderOptions,
  renderPromptTemplate,
  type SessionLike,
  sessionContext,
  type TemplateSessionContext,
} from './render.js';
