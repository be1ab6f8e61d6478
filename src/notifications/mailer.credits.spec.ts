import { renderOrder } from './mailer.service';
import type { OrderInjectedNotice } from './notification.types';

const notice: OrderInjectedNotice = {
  eventId: '61900010',
  eventName: 'Credit Brunch',
  locationName: 'Pinkbox Tropicana',
  establishmentId: '4',
  revelOrderId: '5001',
  items: [{ name: 'TRIPLE OG', quantity: 10, unitPrice: '3.60' }],
  unmatched: [],
  subtotal: '36.00',
  discount: '20.00',
  surcharge: '0.00',
  finalTotal: '16.00',
  adjustments: [{ kind: 'credit', label: 'Deposit Credit (credit)', amount: '-20.00' }],
};

describe('the order e-mail with a credit line', () => {
  const body = renderOrder(notice, 'worker-1');

  it('should list the credit as a credit, with its amount', () => {
    expect(body).toContain(
      'CREDITS (1): money off the invoice, already in the total below. Nothing to add in Revel:',
    );
    expect(body).toMatch(/ {4}-20\.00 {2}Deposit Credit \(credit\)\n/);
  });

  it('should never list the credit among the items to add by hand', () => {
    expect(body).not.toContain('UNMATCHED ITEMS');
    expect(body).not.toContain('by hand');
    expect(body).not.toMatch(/\d+ x Deposit Credit/);
  });

  it('should say nothing of credits when there are none', () => {
    const plain = renderOrder({ ...notice, adjustments: [] }, undefined);
    expect(plain).not.toContain('CREDITS');
  });
});
