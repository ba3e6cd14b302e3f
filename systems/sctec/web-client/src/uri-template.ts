/**
 * A tiny RFC 6570 expander: enough for the HAL templates this API serves.
 *
 * Supported: simple `{a,b}` (level 1–3), form-style query `{?a,b}` and continuation `{&a,b}`.
 * Variables that are undefined, null or empty lists are left out (RFC 6570 §3.2.1); other values
 * are percent-encoded as unreserved-only text (§3.2.2). Prefix modifiers (`:n`) and explode
 * (`*`) are not used by this API and are refused loudly rather than silently mis-expanded.
 */

export type TemplateValue = string | number | boolean | null | undefined;
export type TemplateVariables = Readonly<Record<string, TemplateValue>>;

/** RFC 3986 unreserved characters stay; everything else (UTF-8 bytes) is %HH. */
export function encodeUnreserved(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export function expandTemplate(template: string, variables: TemplateVariables): string {
  return template.replace(/\{([^{}]*)\}/g, (_match, expression: string) => {
    const operator = /^[?&+#./;]/.test(expression) ? expression[0] : '';
    const names = (operator === '' ? expression : expression.slice(1)).split(',').map((n) => n.trim());
    for (const name of names) {
      if (!/^[A-Za-z0-9_%.]+$/.test(name)) {
        throw new Error(`URI template variable "${name}" is not supported by this expander (${template})`);
      }
    }
    const defined = names.flatMap((name) => {
      const value = variables[name];
      return value === undefined || value === null ? [] : [{ name, value: encodeUnreserved(String(value)) }];
    });
    if (defined.length === 0) return '';
    switch (operator) {
      case '':
        return defined.map((v) => v.value).join(',');
      case '?':
      case '&':
        return operator + defined.map((v) => `${v.name}=${v.value}`).join('&');
      default:
        throw new Error(
          `URI template operator "${operator}" is not supported by this expander (${template})`,
        );
    }
  });
}
