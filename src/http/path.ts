/** Decodes one path segment; a malformed escape is kept as sent (it then matches nothing: 404, never 500). */
export function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
