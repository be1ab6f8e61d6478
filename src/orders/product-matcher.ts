import type { Numeric } from '../tripleseat/tripleseat.types';

/** The fields of a Revel product the matcher and the mapper read. */
export interface CatalogProduct {
  id: number;
  name: string;
  price?: Numeric | null;
  cost?: Numeric | null;
}

/** How a line found its product: `menu-item` and `map` are the operator's word, the rest a guess. */
export type MatchKind = 'menu-item' | 'map' | 'exact' | 'fuzzy';

export type MatchResult<P extends CatalogProduct = CatalogProduct> =
  | { match: MatchKind; product: P; score: number }
  | {
      match: 'none';
      /** The best-scoring catalogue name below the threshold, to help fix the product map. */
      closest?: { name: string; score: number };
      /** Why nothing matched when the reason is not just "too dissimilar". */
      detail?: string;
    };

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  apos: "'",
  quot: '"',
  lt: '<',
  gt: '>',
  nbsp: ' ',
  lsquo: "'",
  rsquo: "'",
  ldquo: '"',
  rdquo: '"',
};

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity: string, body: string) => {
    if (body.startsWith('#')) {
      const hex = body[1] === 'x' || body[1] === 'X';
      const code = Number.parseInt(body.slice(hex ? 2 : 1), hex ? 16 : 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
    }
    return NAMED_ENTITIES[body.toLowerCase()] ?? entity;
  });
}

/** Apostrophes and quotes of every kind, dropped inside words: `OL' FASHIONED` = `OL FASHIONED`. */
const QUOTES = /['"`\u00B4\u2018-\u201F\u2032\u2033]/gu;
/** Any other punctuation or symbol, read as a word break: `Half-Dozen` = `Half Dozen`. */
const PUNCTUATION = /[\p{P}\p{S}]/gu;

/**
 * The form names are compared in, for the product map, the exact step and the fuzzy step alike:
 * HTML entities decoded (`&#39;`, `&amp;`); Unicode NFKD with combining marks dropped, so accents
 * and compatibility forms fold (`Pâté` = `PATE`, `Crème Brûlée` = `CREME BRULEE`, `ﬁ` = `fi`);
 * `&` read as the word "and" (`Mac & Cheese` = `Mac and Cheese`); quotes and apostrophes dropped;
 * every other punctuation mark or symbol a space; whitespace runs collapsed and trimmed; lower case.
 * Word breaks are kept (`O G` stays apart from `OG`).
 */
export function normalizeName(name: string): string {
  return decodeEntities(name)
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/&/g, ' and ')
    .replace(QUOTES, '')
    .replace(PUNCTUATION, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

/**
 * Python's `difflib.SequenceMatcher(None, a, b).ratio()`, element for element: Ratcliff/Obershelp,
 * 2·M/T where M is the total size of the matching blocks found by recursively taking the longest
 * common block (earliest in `a`, then in `b`, on ties) and recursing left and right of it.
 * Strings are compared by code point, as Python does (not UTF-16 units). difflib's autojunk
 * heuristic (for `b` of 200+ elements, elements occurring more than 1% + 1 times are "popular"
 * and cannot start a match, only extend one) is reproduced too, so results agree for any length.
 * Not symmetric in general, exactly like difflib.
 */
export function sequenceRatio(a: string, b: string): number {
  const sa = Array.from(a);
  const sb = Array.from(b);
  const total = sa.length + sb.length;
  if (total === 0) return 1;

  const b2j = new Map<string, number[]>();
  sb.forEach((element, j) => {
    const indices = b2j.get(element);
    if (indices) indices.push(j);
    else b2j.set(element, [j]);
  });
  if (sb.length >= 200) {
    const popularAbove = Math.floor(sb.length / 100) + 1;
    for (const [element, indices] of [...b2j]) {
      if (indices.length > popularAbove) b2j.delete(element);
    }
  }

  const findLongestMatch = (
    alo: number,
    ahi: number,
    blo: number,
    bhi: number,
  ): [number, number, number] => {
    let besti = alo;
    let bestj = blo;
    let bestsize = 0;
    let j2len = new Map<number, number>();
    for (let i = alo; i < ahi; i++) {
      const next = new Map<number, number>();
      for (const j of b2j.get(sa[i]) ?? []) {
        if (j < blo) continue;
        if (j >= bhi) break;
        const k = (j2len.get(j - 1) ?? 0) + 1;
        next.set(j, k);
        if (k > bestsize) {
          besti = i - k + 1;
          bestj = j - k + 1;
          bestsize = k;
        }
      }
      j2len = next;
    }
    // With no junk function only the non-junk extension applies; it lets popular elements
    // (dropped from b2j by autojunk) extend a match at either end.
    while (besti > alo && bestj > blo && sa[besti - 1] === sb[bestj - 1]) {
      besti--;
      bestj--;
      bestsize++;
    }
    while (
      besti + bestsize < ahi &&
      bestj + bestsize < bhi &&
      sa[besti + bestsize] === sb[bestj + bestsize]
    ) {
      bestsize++;
    }
    return [besti, bestj, bestsize];
  };

  let matches = 0;
  const queue: [number, number, number, number][] = [[0, sa.length, 0, sb.length]];
  for (let range = queue.pop(); range; range = queue.pop()) {
    const [alo, ahi, blo, bhi] = range;
    const [i, j, k] = findLongestMatch(alo, ahi, blo, bhi);
    if (k === 0) continue;
    matches += k;
    if (alo < i && blo < j) queue.push([alo, i, blo, j]);
    if (i + k < ahi && j + k < bhi) queue.push([i + k, ahi, j + k, bhi]);
  }
  return (2 * matches) / total;
}

/** Similarity of two product names in [0, 1]: {@link sequenceRatio} of their normalised forms. */
export function similarity(a: string, b: string): number {
  return sequenceRatio(normalizeName(a), normalizeName(b));
}

/**
 * Resolves a TripleSeat item name to a Revel product: the establishment's explicit map first
 * (keys compared normalised, so case-insensitively), then an exact normalised name, then the most
 * similar name scoring at least `threshold` (ties keep catalogue order). A map entry naming a
 * product that is not in the catalogue is reported as unmatched rather than fuzzy-matched: the
 * operator stated what the item is, and guessing something else would hide the broken entry.
 */
export function matchItem<P extends CatalogProduct>(
  name: string,
  products: readonly P[],
  explicitMap: Readonly<Record<string, number>>,
  threshold: number,
): MatchResult<P> {
  const wanted = normalizeName(name);
  const named = products.filter((p) => typeof p.name === 'string' && p.name.trim() !== '');

  const mapKey = Object.keys(explicitMap).find((key) => normalizeName(key) === wanted);
  if (mapKey !== undefined) {
    const productId = explicitMap[mapKey];
    const product = products.find((p) => p.id === productId);
    if (product) return { match: 'map', product, score: 1 };
    const closest = bestOf(wanted, named);
    return {
      match: 'none',
      closest: closest && { name: closest.product.name, score: closest.score },
      detail: `product map sends "${mapKey}" to Revel product ${productId}, which is not in the establishment's catalogue`,
    };
  }

  const exact = named.find((p) => normalizeName(p.name) === wanted);
  if (exact) return { match: 'exact', product: exact, score: 1 };

  const best = bestOf(wanted, named);
  if (best && best.score >= threshold) return { match: 'fuzzy', ...best };
  return {
    match: 'none',
    closest: best && { name: best.product.name, score: best.score },
  };
}

/** The most similar product; on equal scores the earlier one in catalogue order. */
function bestOf<P extends CatalogProduct>(
  wanted: string,
  products: readonly P[],
): { product: P; score: number } | undefined {
  let best: { product: P; score: number } | undefined;
  for (const product of products) {
    const score = sequenceRatio(wanted, normalizeName(product.name));
    if (!best || score > best.score) best = { product, score };
  }
  return best;
}

/** The operator's maps for one establishment (the locations file, docs/configuration.md). */
export interface ProductMaps {
  /** TripleSeat `menu_item_id` → Revel product id. */
  menuItems: Readonly<Record<string, number>>;
  /** A line's `display_name` → Revel product id. */
  products: Readonly<Record<string, number>>;
}

/**
 * Resolves one TripleSeat line (docs/architecture.md, 'Which lines'): the `menuItems` map by
 * `menu_item_id` first, then {@link matchItem} on the display name (the `products` map, exact,
 * fuzzy). A `menu_item_id` mapped to a product that is not in the active catalogue is reported, not
 * guessed around.
 */
export function matchLine<P extends CatalogProduct>(
  line: { name: string; menuItemId?: string },
  products: readonly P[],
  maps: ProductMaps,
  threshold: number,
): MatchResult<P> {
  if (line.menuItemId !== undefined && maps.menuItems[line.menuItemId] !== undefined) {
    const productId = maps.menuItems[line.menuItemId];
    const product = products.find((p) => p.id === productId);
    if (product) return { match: 'menu-item', product, score: 1 };
    return {
      match: 'none',
      detail: `menuItems sends menu_item_id ${line.menuItemId} to Revel product ${productId}, which is not in the establishment's active catalogue`,
    };
  }
  return matchItem(line.name, products, maps.products, threshold);
}
