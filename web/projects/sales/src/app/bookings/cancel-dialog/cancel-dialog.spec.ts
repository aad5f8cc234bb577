import { HttpTestingController } from '@angular/common/http/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { CancellationReply } from '@astro/shared/api/command-api/models/cancellation-reply';
import { Booking } from '@astro/shared/api/query-api/models/booking';

import { TEST_API, aBooking, testProviders } from '../../account/testing';
import { CancelDialog } from './cancel-dialog';

describe('the cancellation dialog', () => {
  let fixture: ComponentFixture<CancelDialog>;
  let http: HttpTestingController;

  async function open(booking: Booking): Promise<void> {
    TestBed.configureTestingModule({ providers: testProviders() });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(CancelDialog);
    fixture.componentRef.setInput('booking', booking);
    await fixture.whenStable();
  }

  afterEach(() => http.verify());

  const text = () => (fixture.nativeElement as HTMLElement).textContent ?? '';
  const confirmButton = () => (fixture.nativeElement as HTMLElement).querySelector<HTMLButtonElement>('[data-testid="confirm-cancel"]')!;

  it('shows the 90 % refund before anything is sent, more than a year ahead', async () => {
    await open(aBooking(400));
    expect(text()).toContain('you get EUR 450,000.00 back (90 % of EUR 500,000.00)');
    http.expectNone(() => true);
  });

  it('shows the 70 % refund between 90 and 365 days ahead', async () => {
    await open(aBooking(120));
    expect(text()).toContain('EUR 350,000.00 back (70 %');
  });

  it('says there is no refund less than 90 days ahead', async () => {
    await open(aBooking(30));
    expect(text()).toContain('no refund');
  });

  it('cancels once when confirmed, and hands on the refund the server answered', async () => {
    await open(aBooking(120));
    const answers: CancellationReply[] = [];
    fixture.componentInstance.cancelled.subscribe((reply) => answers.push(reply));
    confirmButton().click();
    confirmButton().click();
    fixture.detectChanges();
    expect(confirmButton().disabled).toBe(true);
    const request = http.expectOne(`${TEST_API.command}/v1/launches/l-1/bookings/b-1/cancel`);
    expect(request.request.method).toBe('POST');
    expect(request.request.headers.get('Idempotency-Key')).toBeTruthy();
    const reply = { booking_id: 'b-1', launch_id: 'l-1', refund_cents: 35_000_000, refund_percent: 70, seats_released: 2, version: 6 };
    request.flush(reply);
    await fixture.whenStable();
    expect(answers).toEqual([reply]);
  });

  it('shows a refusal as an alert and lets the holder try again with the same key', async () => {
    await open(aBooking(120));
    confirmButton().click();
    const first = http.expectOne(() => true);
    first.flush({ status: 409, title: 'Conflict', detail: 'the booking is already cancelled' }, { status: 409, statusText: 'Conflict' });
    await fixture.whenStable();
    expect((fixture.nativeElement as HTMLElement).querySelector('[role="alert"]')?.textContent).toContain(
      'the booking is already cancelled',
    );
    confirmButton().click();
    const second = http.expectOne(() => true);
    expect(second.request.headers.get('Idempotency-Key')).toBe(first.request.headers.get('Idempotency-Key'));
    second.error(new ProgressEvent('error'));
    await fixture.whenStable();
  });
});
