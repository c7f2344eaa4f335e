/**
 * Text of elements as a reader sees it, shadow roots included, without <style> and <script>, with
 * whitespace collapsed: what the scenarios' text checks read in both browsers. Self-contained: the
 * drivers send its source into the page.
 */
export function deepTexts(elements: Element[]): string[] {
  const text = (node: Node): string => {
    if (node.nodeType === Node.TEXT_NODE) return (node as Text).data;
    if (node.nodeType !== Node.ELEMENT_NODE && node.nodeType !== Node.DOCUMENT_FRAGMENT_NODE) return '';
    const element = node as Element;
    if (element.localName === 'style' || element.localName === 'script') return '';
    let out = '';
    for (const child of (element.shadowRoot ?? node).childNodes) out += text(child);
    return out;
  };
  return elements.map((e) => text(e).replace(/\s+/g, ' ').trim());
}
