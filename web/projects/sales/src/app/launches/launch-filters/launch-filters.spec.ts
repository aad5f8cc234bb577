import { Component, signal } from '@angular/core';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { FormControl, FormGroup } from '@angular/forms';
import { provideRouter } from '@angular/router';

import { DEFAULT_QUERY, LaunchQuery } from '../launch-query';
import { LaunchFilters, dateRangeValidator } from './launch-filters';

@Component({
  imports: [LaunchFilters],
  template: `<astro-launch-filters [query]="query()" (apply)="applied.push($event)" />`,
})
class Host {
  readonly query = signal<LaunchQuery>({ ...DEFAULT_QUERY, destination: 'moon', minSeats: 2, page: 4 });
  readonly applied: LaunchQuery[] = [];
}

describe('LaunchFilters', () => {
  let fixture: ComponentFixture<Host>;
  const element = <T extends Element>(selector: string) => fixture.nativeElement.querySelector(selector) as T;

  function type(selector: string, value: string): void {
    const input = element<HTMLInputElement>(selector);
    input.value = value;
    input.dispatchEvent(new Event(input.tagName === 'SELECT' ? 'change' : 'input'));
  }

  async function submit(): Promise<void> {
    element<HTMLFormElement>('form').dispatchEvent(new Event('submit'));
    await fixture.whenStable();
  }

  beforeEach(async () => {
    TestBed.configureTestingModule({ providers: [provideRouter([])] });
    fixture = TestBed.createComponent(Host);
    await fixture.whenStable();
  });

  it('shows the state it is given', () => {
    expect(element<HTMLSelectElement>('#filter-destination').value).toBe('moon');
    expect(element<HTMLInputElement>('#filter-seats').value).toBe('2');
  });

  it('labels every field', () => {
    for (const field of Array.from(fixture.nativeElement.querySelectorAll('input, select')) as HTMLElement[]) {
      expect(fixture.nativeElement.querySelector(`label[for="${field.id}"]`)).not.toBeNull();
    }
  });

  it('asks for the filters chosen, back on page 1', async () => {
    type('#filter-destination', 'mars');
    type('#filter-from', '2027-01-01');
    type('#filter-sort', '-price');
    await submit();
    expect(fixture.componentInstance.applied).toEqual([
      { destination: 'mars', from: '2027-01-01', to: null, minSeats: 2, sort: '-price', page: 1 },
    ]);
  });

  it('refuses a seat count below 1, saying why next to the field', async () => {
    type('#filter-seats', '0');
    await submit();
    const input = element<HTMLInputElement>('#filter-seats');
    expect(input.getAttribute('aria-invalid')).toBe('true');
    const error = element<HTMLElement>(`#${input.getAttribute('aria-describedby')}`);
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toContain('1 or more');
    expect(fixture.componentInstance.applied).toEqual([]);
  });

  it('refuses an end date before the start date', async () => {
    type('#filter-from', '2027-05-02');
    type('#filter-to', '2027-05-01');
    await submit();
    expect(element<HTMLElement>('#filter-to-error').textContent).toContain('on or after the start date');
    expect(fixture.componentInstance.applied).toEqual([]);
  });

  it('follows a new state from the URL, dropping what was typed', async () => {
    type('#filter-destination', 'mars');
    fixture.componentInstance.query.set(DEFAULT_QUERY);
    await fixture.whenStable();
    expect(element<HTMLSelectElement>('#filter-destination').value).toBe('');
    expect(element<HTMLInputElement>('#filter-seats').value).toBe('1');
  });
});

describe('dateRangeValidator', () => {
  const range = (from: string, to: string) =>
    dateRangeValidator(new FormGroup({ from: new FormControl(from), to: new FormControl(to) }));

  it('accepts an open or ordered range, a single day included', () => {
    expect(range('', '2027-01-01')).toBeNull();
    expect(range('2027-01-01', '2027-01-01')).toBeNull();
  });

  it('flags an end before the start', () => {
    expect(range('2027-01-02', '2027-01-01')).toEqual({ range: true });
  });
});
