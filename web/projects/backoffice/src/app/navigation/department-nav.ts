/*
 * What each department sees of the backoffice. The server checks every
 * call's role anyway: this only keeps an employee from pages they cannot use.
 */

/** One link of the header's navigation. */
export interface NavLink {
  readonly path: string;
  readonly label: string;
}

const LINKS: Readonly<Record<string, readonly NavLink[]>> = {
  operations: [
    { path: '/launches', label: 'Launches' },
    { path: '/rockets', label: 'Rockets' },
  ],
  finance: [{ path: '/invoices', label: 'Invoices' }],
};

/** The pages of a department, in the order the header shows them (none for another department). */
export function navFor(department: string | undefined | null): readonly NavLink[] {
  return (department && LINKS[department]) || [];
}

/** Where Home sends an employee: their department's first page, `/forbidden` for anyone else. */
export function homePathFor(department: string | undefined | null): string {
  return navFor(department)[0]?.path ?? '/forbidden';
}

/** Whether `department` may open a page of `owner`'s (e.g. finance opening `/launches` may not). */
export function departmentMayOpen(department: string | undefined | null, owner: string): boolean {
  return department === owner;
}
