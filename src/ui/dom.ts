/** Creates an element whose text is set with textContent: never HTML, so model/user strings cannot inject markup. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  return element;
}

export function setStatus(element: HTMLElement, state: 'starting' | 'working' | 'ready' | 'warning' | 'error', text: string): void {
  element.dataset.state = state;
  element.textContent = text;
}
