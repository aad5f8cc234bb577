import { departmentMayOpen, homePathFor, navFor } from './department-nav';

describe('department navigation', () => {
  it('shows operations the launches and the rockets, launches first', () => {
    expect(navFor('operations').map((link) => link.label)).toEqual(['Launches', 'Rockets']);
    expect(homePathFor('operations')).toBe('/launches');
  });

  it('shows finance the invoices only', () => {
    expect(navFor('finance')).toEqual([{ path: '/invoices', label: 'Invoices' }]);
    expect(homePathFor('finance')).toBe('/invoices');
  });

  it('shows nothing to another department or nobody, and sends them to /forbidden', () => {
    expect(navFor('it')).toEqual([]);
    expect(navFor(undefined)).toEqual([]);
    expect(homePathFor('it')).toBe('/forbidden');
    expect(homePathFor(null)).toBe('/forbidden');
  });

  it("lets a department open only its own pages", () => {
    expect(departmentMayOpen('finance', 'finance')).toBe(true);
    expect(departmentMayOpen('finance', 'operations')).toBe(false);
    expect(departmentMayOpen(undefined, 'operations')).toBe(false);
  });
});
