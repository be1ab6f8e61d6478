import {
  isNewUnmatchedSet,
  leftOutNote,
  mappingResolves,
  parseUnmatched,
  toldNames,
  unmatchedKey,
} from './unmatched';

const glazed = { name: 'Dozen Maple Glazed', quantity: 2, amount: '30.00' };
const kale = { name: 'Kale Smoothie', quantity: 10, amount: '65.00', menuItemId: '88' };

describe('unmatched lines', () => {
  it('should key a set of lines whatever their order, case and spacing', () => {
    expect(unmatchedKey([glazed, kale])).toBe(
      unmatchedKey([kale, { ...glazed, name: '  dozen maple  GLAZED ' }]),
    );
    expect(unmatchedKey([glazed])).not.toBe(unmatchedKey([{ ...glazed, quantity: 3 }]));
  });

  it('should tell a set once, again only when a line is new (not when the set shrank)', () => {
    expect(isNewUnmatchedSet([glazed], null)).toBe(true);
    const told = unmatchedKey([glazed, kale]);
    expect(isNewUnmatchedSet([glazed, kale], told)).toBe(false);
    expect(isNewUnmatchedSet([kale], told)).toBe(false);
    expect(isNewUnmatchedSet([kale, { ...glazed, quantity: 4 }], told)).toBe(true);
    expect(isNewUnmatchedSet([], told)).toBe(false);
    expect(isNewUnmatchedSet([glazed], 'not json')).toBe(true);
    expect([...toldNames(told)].sort()).toEqual(['dozen maple glazed', 'kale smoothie']);
  });

  it('should know which mapping resolves a line: its menu_item_id, or its name as the matcher folds it', () => {
    expect(
      mappingResolves(
        { location: 'l', kind: 'displayName', displayName: 'DOZEN maple glazed' },
        glazed,
      ),
    ).toBe(true);
    expect(mappingResolves({ location: 'l', kind: 'menuItem', menuItemId: '88' }, kale)).toBe(true);
    expect(mappingResolves({ location: 'l', kind: 'menuItem', menuItemId: '88' }, glazed)).toBe(
      false,
    );
    expect(
      mappingResolves({ location: 'l', kind: 'displayName', displayName: 'Maple Glazed' }, glazed),
    ).toBe(false);
  });

  it('should name the lines left out with their amounts, and read only well-formed rows', () => {
    expect(leftOutNote([glazed, { name: 'Straws', quantity: 1 }])).toBe(
      'NOT ON THIS ORDER, add by hand: 2 × Dozen Maple Glazed (30.00); 1 × Straws',
    );
    expect(parseUnmatched(JSON.stringify([glazed, { name: 3 }, null]))).toEqual([glazed]);
    expect(parseUnmatched('{')).toEqual([]);
    expect(parseUnmatched(null)).toEqual([]);
  });
});
