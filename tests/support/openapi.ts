// Checks a response against an OpenAPI 3.1 document with a JSON-schema
// validator (Ajv, draft 2020-12, the dialect of OpenAPI 3.1), so a spec and
// the service it documents cannot drift apart silently.
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/** The part of an OpenAPI document this module reads. */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { responses?: Record<string, unknown> }>>;
  components?: Record<string, Record<string, unknown>>;
}

interface ResponseObject {
  $ref?: string;
  content?: Record<string, { schema?: unknown }>;
}

const DOCUMENT_ID = 'openapi.json';
const validators = new WeakMap<OpenApiDocument, Ajv2020>();

function validatorOf(document: OpenApiDocument): Ajv2020 {
  let ajv = validators.get(document);
  if (!ajv) {
    // strict: false: the document has OpenAPI's own keywords (`example`,
    // `discriminator`, …) beside the JSON-schema ones.
    ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    // OpenAPI's numeric and binary formats say how a value is stored, not
    // which values are valid.
    for (const format of ['int32', 'int64', 'uint32', 'uint64', 'float', 'double', 'binary', 'byte', 'password']) {
      ajv.addFormat(format, true);
    }
    ajv.addSchema(document as object, DOCUMENT_ID);
    validators.set(document, ajv);
  }
  return ajv;
}

const pointer = (...segments: string[]): string =>
  segments.map((s) => '/' + s.replace(/~/g, '~0').replace(/\//g, '~1')).join('');

function resolve(document: OpenApiDocument, ref: string): { value: unknown; at: string } {
  if (!ref.startsWith('#/')) {
    throw new Error(`only local references are supported, not ${ref}`);
  }
  const at = ref.slice(1);
  let value: unknown = document;
  for (const raw of at.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    value = (value as Record<string, unknown> | undefined)?.[key];
  }
  return { value, at };
}

/**
 * What is wrong with a response of `method template` (status, media type,
 * body) by `document`; empty when it is one the document declares.
 */
export function responseSchemaErrors(
  document: OpenApiDocument,
  method: string,
  template: string,
  status: number,
  contentType: string | string[] | undefined,
  body: unknown,
): string[] {
  const operation = document.paths?.[template]?.[method.toLowerCase()];
  if (!operation) {
    return [`${method.toUpperCase()} ${template} is not in the document`];
  }
  const responses = operation.responses ?? {};
  const key = [String(status), `${Math.floor(status / 100)}XX`, 'default'].find((k) => k in responses);
  if (!key) {
    return [`status ${status} is not documented (documented: ${Object.keys(responses).join(', ')})`];
  }
  let response = responses[key] as ResponseObject;
  let at = pointer('paths', template, method.toLowerCase(), 'responses', key);
  if (response.$ref) {
    const resolved = resolve(document, response.$ref);
    response = resolved.value as ResponseObject;
    at = resolved.at;
  }
  const media = (Array.isArray(contentType) ? contentType[0] : contentType ?? '').split(';')[0].trim();
  const content = response.content ?? {};
  if (Object.keys(content).length === 0) {
    return body === '' || body === undefined || body === null ? [] : [`status ${status} documents no body, but one came (${media})`];
  }
  if (!(media in content)) {
    return [`content type "${media}" is not documented for ${status} (documented: ${Object.keys(content).join(', ')})`];
  }
  if (content[media].schema === undefined || !media.includes('json')) {
    return [];
  }
  const ajv = validatorOf(document);
  const validate = ajv.getSchema(`${DOCUMENT_ID}#${at}${pointer('content', media, 'schema')}`);
  if (!validate) {
    return [`no schema at ${at} for ${media}`];
  }
  if (validate(body)) {
    return [];
  }
  return (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message ?? 'is invalid'} (${e.schemaPath})`);
}
