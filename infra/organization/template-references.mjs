// A derived or generated template must not name anything it lacks: every Ref, Fn::GetAtt,
// Fn::Sub variable and condition name has to resolve to a parameter, resource, condition or
// pseudo parameter of the same template. Checked before a template is written, so that dropping a
// resource from today's stack can never leave a dangling reference behind.

/** @typedef {Record<string, unknown>} TemplateObject */

const SUB_VARIABLE = /\$\{([^!}][^}]*)\}/g;

/**
 * @param {unknown} node
 * @param {(kind: 'ref' | 'getatt' | 'condition', name: string) => void} visit
 * @param {Set<string>} [locals] names an enclosing Fn::Sub defines
 */
const walk = (node, visit, locals = new Set()) => {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit, locals);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    if (key === 'Ref' && typeof value === 'string') visit('ref', value);
    else if (key === 'Fn::GetAtt' && Array.isArray(value) && typeof value[0] === 'string') visit('getatt', value[0]);
    else if (key === 'Fn::If' && Array.isArray(value) && typeof value[0] === 'string') visit('condition', value[0]);
    else if (key === 'Condition' && typeof value === 'string') visit('condition', value);
    if (key === 'Fn::Sub') {
      const [text, variables] = typeof value === 'string' ? [value, {}] : /** @type {[unknown, unknown]} */ (value);
      const own = new Set([...locals, ...Object.keys(variables && typeof variables === 'object' ? variables : {})]);
      if (typeof text === 'string') {
        for (const match of text.matchAll(SUB_VARIABLE)) {
          const name = /** @type {string} */ (match[1]).split('.')[0] ?? '';
          if (!own.has(name)) visit(match[1]?.includes('.') ? 'getatt' : 'ref', name);
        }
      }
      walk(variables, visit, locals);
      continue;
    }
    walk(value, visit, locals);
  }
};

/**
 * Throws naming every reference that does not resolve.
 * @param {{ Parameters?: TemplateObject, Conditions?: TemplateObject, Resources: TemplateObject, Outputs?: TemplateObject }} template
 * @param {string} what the template's name, for the message
 */
export const assertReferencesResolve = (template, what) => {
  const parameters = new Set(Object.keys(template.Parameters ?? {}));
  const resources = new Set(Object.keys(template.Resources));
  const conditions = new Set(Object.keys(template.Conditions ?? {}));
  /** @type {string[]} */
  const dangling = [];
  /** @param {string} where */
  const visitor = (where) => /** @type {(kind: 'ref' | 'getatt' | 'condition', name: string) => void} */ ((kind, name) => {
    const resolves =
      kind === 'condition' ? conditions.has(name) : kind === 'getatt' ? resources.has(name) : name.startsWith('AWS::') || parameters.has(name) || resources.has(name);
    if (!resolves) dangling.push(`${where}: ${kind} ${name}`);
  });
  for (const [id, resource] of Object.entries(template.Resources)) walk(resource, visitor(`resource ${id}`));
  for (const [id, output] of Object.entries(template.Outputs ?? {})) walk(output, visitor(`output ${id}`));
  for (const [id, condition] of Object.entries(template.Conditions ?? {})) walk(condition, visitor(`condition ${id}`));
  if (dangling.length > 0) throw new Error(`${what} has references that do not resolve:\n  ${[...new Set(dangling)].join('\n  ')}`);
};
