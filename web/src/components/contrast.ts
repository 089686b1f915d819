/** Text colours that stay readable on colours people choose (WCAG contrast). */

/** Relative luminance (WCAG) of an `rgb(r, g, b)` or `#rrggbb` colour; null if unreadable. */
function luminance(color: string): number | null {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color.trim());
  const rgb = /^rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(color.trim());
  const parts = hex
    ? hex.slice(1).map((h) => Number.parseInt(h, 16))
    : rgb?.slice(1, 4).map(Number);
  if (!parts) return null;
  const [r, g, b] = parts.map((v) => {
    const c = v / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

const DARK_TEXT = "#111418";

/** White or near-black, whichever reads better on `background`: people pick any colour. */
export function textOn(background: string): string {
  const l = luminance(background);
  if (l === null) return "#ffffff";
  const onWhite = 1.05 / (l + 0.05);
  const onDark = (l + 0.05) / ((luminance(DARK_TEXT) ?? 0) + 0.05);
  return onWhite >= onDark ? "#ffffff" : DARK_TEXT;
}
