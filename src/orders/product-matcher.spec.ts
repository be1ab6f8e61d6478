import fc from 'fast-check';
import {
  type CatalogProduct,
  matchItem,
  normalizeName,
  sequenceRatio,
  similarity,
} from './product-matcher';

describe(similarity.name, () => {
  it('should score og vs "o g" 0.8 (blocks "o" + "g": M=2, T=2+3=5 → 4/5)', () => {
    expect(similarity('OG', 'O G')).toBe(0.8);
  });

  it('should score "maple bar" vs "maple bars" 18/19 ≈ 0.947 (M=9, T=9+10=19)', () => {
    expect(similarity('MAPLE BAR', 'MAPLE BARS')).toBe(18 / 19);
    expect(similarity('MAPLE BAR', 'MAPLE BARS')).toBeCloseTo(0.947, 3);
  });

  it('should score "ol\' fashioned" vs "old fashioned" 24/25 = 0.96 (apostrophe dropped: " fashioned"=10 + "ol"=2, T=12+13=25)', () => {
    expect(similarity("OL' FASHIONED", 'OLD FASHIONED')).toBe(24 / 25);
    expect(similarity("OL' FASHIONED", 'OLD FASHIONED')).toBeCloseTo(0.96, 3);
  });

  it('should score "pink rainbow ring" vs "chocolate rainbow ring" 26/39 ≈ 0.667, below 0.75 (" rainbow ring"=13, "pink"/"chocolate" share nothing, T=17+22=39)', () => {
    const score = similarity('PINK RAINBOW RING', 'CHOCOLATE RAINBOW RING');
    expect(score).toBe(26 / 39);
    expect(score).toBeLessThan(0.75);
  });

  it('should treat curly apostrophes and HTML entities as a plain apostrophe', () => {
    expect(similarity('OL’ FASHIONED', "ol' fashioned")).toBe(1);
    expect(similarity('OL&#39; FASHIONED', "OL' FASHIONED")).toBe(1);
    expect(similarity('OL&apos; FASHIONED', 'OL&#x27; FASHIONED')).toBe(1);
    expect(similarity('  Maple   Bar ', 'maple bar')).toBe(1);
  });

  it('should stay in [0, 1] and be 1 exactly for names that normalise equal', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (a, b) => {
        const score = similarity(a, b);
        expect(score).toBeGreaterThanOrEqual(0);
        expect(score).toBeLessThanOrEqual(1);
        expect(score === 1).toBe(normalizeName(a) === normalizeName(b));
      }),
    );
  });
});

describe(sequenceRatio.name, () => {
  // Expected values printed by CPython's difflib.SequenceMatcher(None, a, b).ratio().
  it.each([
    ['abcd', 'bcda', 0.75],
    ['abxcd', 'abcd', 0.8888888888888888],
    ['tripleog', 'og triple', 0.7058823529411765],
    ['', '', 1],
    ['abc', '', 0],
  ])('should agree with difflib on %p vs %p', (a, b, expected) => {
    expect(sequenceRatio(a, b)).toBe(expected);
  });

  it('should not be symmetric where difflib is not (cbacca/ccbc: 0.6 one way, 0.4 the other)', () => {
    expect(sequenceRatio('cbacca', 'ccbc')).toBe(0.6);
    expect(sequenceRatio('ccbc', 'cbacca')).toBe(0.4);
  });

  it('should count code points like Python, not UTF-16 units (2·11/23, not 2·12/25)', () => {
    expect(sequenceRatio('😀 maple bar', '😀 maple bars')).toBe(0.9565217391304348);
  });

  it("should apply difflib's autojunk to a second string of 200+ elements", () => {
    // b = "ab"*150 + "y": 'a' and 'b' occur 150 > 301//100+1 times, so they cannot start a match
    // and a (without 'y') matches nothing: difflib says 0.0 (0.993 with autojunk=False).
    expect(sequenceRatio('xxx' + 'ab'.repeat(150), 'ab'.repeat(150) + 'y')).toBe(0);
  });

  it('should be 1 exactly for equal non-empty strings and below 1 for different ones', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 60 }),
        fc.string({ maxLength: 60 }),
        (a, b) => {
          expect(sequenceRatio(a, a)).toBe(1);
          expect(sequenceRatio(a, b) === 1).toBe(a === b);
        },
      ),
    );
  });

  it('should equal 2·M/T for a known number of matches when one string contains the other', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 30 }),
        fc.string({ minLength: 1, maxLength: 30 }),
        (a, extra) => {
          const la = Array.from(a).length;
          const b = a + extra;
          expect(sequenceRatio(a, b)).toBe(la === 0 ? 0 : (2 * la) / (la + Array.from(b).length));
        },
      ),
    );
  });
});

describe(matchItem.name, () => {
  const catalogue: CatalogProduct[] = [
    { id: 1, name: 'O G', price: '2.00' },
    { id: 579, name: 'TRIPLE OG', price: 2 },
    { id: 3, name: 'MAPLE BARS', price: '1.75' },
    { id: 4, name: 'CHOCOLATE RAINBOW RING', price: 2.25 },
    { id: 5, name: "OL' FASHIONED", price: 1.5 },
    { id: 6, name: 'MAPLE BARN', price: 9 },
  ];

  it('should prefer the explicit map over an exact or fuzzy name, with a case-insensitive key', () => {
    expect(matchItem('og', catalogue, { OG: 579 }, 0.75)).toEqual({
      match: 'map',
      product: catalogue[1],
      score: 1,
    });
  });

  it('should match an exact name case-insensitively before trying fuzzy names', () => {
    expect(matchItem('triple og', catalogue, {}, 0.75)).toEqual({
      match: 'exact',
      product: catalogue[1],
      score: 1,
    });
    expect(matchItem('OL’ FASHIONED', catalogue, {}, 0.75)).toMatchObject({
      match: 'exact',
      product: { id: 5 },
    });
  });

  it('should take the best fuzzy score at or above the threshold, the first one on a tie', () => {
    // MAPLE BARS and MAPLE BARN both score 18/19 against MAPLE BAR; the first in the catalogue wins.
    expect(matchItem('MAPLE BAR', catalogue, {}, 0.75)).toEqual({
      match: 'fuzzy',
      product: catalogue[2],
      score: 18 / 19,
    });
    expect(matchItem('OG', catalogue, {}, 0.8)).toMatchObject({
      match: 'fuzzy',
      product: { id: 1 },
    });
  });

  it('should report no match with the closest name when nothing reaches the threshold', () => {
    expect(matchItem('PINK RAINBOW RING', catalogue, {}, 0.75)).toEqual({
      match: 'none',
      closest: { name: 'CHOCOLATE RAINBOW RING', score: 26 / 39 },
    });
    expect(matchItem('OG', catalogue, {}, 0.81)).toMatchObject({ match: 'none' });
  });

  it('should report a map entry whose product is not in the catalogue as unmatched, not guess', () => {
    const result = matchItem('TRIPLE OG', catalogue, { 'triple og': 999 }, 0.75);
    expect(result).toMatchObject({ match: 'none' });
    expect(result.match === 'none' && result.detail).toContain('999');
  });

  it('should report no match and no closest name for an empty catalogue', () => {
    expect(matchItem('OG', [], {}, 0.75)).toEqual({ match: 'none', closest: undefined });
  });
});

describe(`${normalizeName.name}: accents, case, punctuation and spacing folded`, () => {
  it.each([
    ['Pâté', 'PATE', 'pate'],
    ['Crème Brûlée', 'CREME BRULEE', 'creme brulee'],
    ['Jalapeño  Poppers', 'JALAPENO POPPERS', 'jalapeno poppers'],
    ['Mac & Cheese', 'Mac and Cheese', 'mac and cheese'],
    ['Mac &amp; Cheese', 'MAC&CHEESE', 'mac and cheese'],
    ['OL’ FASHIONED', 'Ol Fashioned', 'ol fashioned'],
    ['Half-Dozen Box', 'HALF DOZEN BOX', 'half dozen box'],
    ['Crêpes (Nutella)', 'CREPES NUTELLA', 'crepes nutella'],
    ['Açaí Bowl', 'ACAI BOWL', 'acai bowl'],
    ['Smörgåsbord', 'SMORGASBORD', 'smorgasbord'],
    ['ﬁne Coffee', 'Fine coffee', 'fine coffee'],
  ])('should fold %j and %j to %j', (menu, revel, folded) => {
    expect(normalizeName(menu)).toBe(folded);
    expect(normalizeName(revel)).toBe(folded);
  });

  it('should keep word breaks, so "O G" stays apart from "OG"', () => {
    expect(normalizeName('O G')).toBe('o g');
    expect(normalizeName('O-G')).toBe('o g');
    expect(normalizeName('OG')).toBe('og');
  });

  it('should fold an accented name the same whether composed or decomposed', () => {
    expect(normalizeName('Cr\u00e8me')).toBe(normalizeName('Cre\u0300me'));
  });
});

describe(`${matchItem.name} on real menu names`, () => {
  const revel: CatalogProduct[] = [
    { id: 701, name: 'PATE', price: '9.00' },
    { id: 702, name: 'CREME BRULEE', price: '7.50' },
    { id: 703, name: 'JALAPENO POPPERS', price: '6.00' },
    { id: 704, name: 'MAC AND CHEESE', price: '8.00' },
  ];

  it.each([
    ['Pâté', 701],
    ['Crème Brûlée', 702],
    ['Jalapeño  Poppers', 703],
    ['Mac & Cheese', 704],
  ])('should match %j exactly, score 1', (name, id) => {
    expect(matchItem(name, revel, {}, 0.75)).toEqual({
      match: 'exact',
      product: revel.find((p) => p.id === id),
      score: 1,
    });
  });

  it('should fold the product map keys the same way', () => {
    expect(matchItem('PATE', revel, { Pâté: 702 }, 0.75)).toMatchObject({
      match: 'map',
      product: { id: 702 },
    });
  });

  it('should score fuzzy candidates on folded names', () => {
    // "creme brulee" vs "creme brulees": M=12, T=12+13=25.
    const result = matchItem('Crème Brûlées', revel, {}, 0.75);
    expect(result).toEqual({ match: 'fuzzy', product: revel[1], score: 24 / 25 });
  });
});
