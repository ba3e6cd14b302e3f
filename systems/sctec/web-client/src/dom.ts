/** Small DOM helpers: typed look-ups and element creation without innerHTML. */

export function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const element = document.getElementById(id);
  if (!(element instanceof type))
    throw new Error(`#${id} is missing from index.html or is not a ${type.name}`);
  return element;
}

type Child = Node | string | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Readonly<Record<string, string | undefined>> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined) element.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

/** Sets or removes an attribute, touching the DOM only when the value changes. */
export function setAttr(element: Element, name: string, value: string | undefined): void {
  const current = element.getAttribute(name);
  if (value === undefined) {
    if (current !== null) element.removeAttribute(name);
  } else if (current !== value) {
    element.setAttribute(name, value);
  }
}

export function setText(element: Element, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}
