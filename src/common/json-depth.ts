/** How deep a JSON body may nest (objects and arrays); deeper is a 400 naming the limit. */
export const JSON_MAX_DEPTH = 32;

/**
 * Whether `root` nests objects or arrays deeper than `limit`. Iterative, so that measuring a
 * hostile document cannot itself overflow the stack (transformation and validation recurse).
 */
export function depthExceeds(root: unknown, limit: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value: root, depth: 1 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop() as { value: unknown; depth: number };
    if (typeof value !== 'object' || value === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(value)) stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}
