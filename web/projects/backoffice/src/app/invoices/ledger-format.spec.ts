import { formatUtc, saveBlob } from './ledger-format';

describe('ledger formatting', () => {
  it('shows an instant in UTC', () => {
    expect(formatUtc('2027-03-01T12:05:00Z')).toBe('1 Mar 2027, 12:05 UTC');
    expect(formatUtc('2027-03-01T23:30:00-02:00')).toBe('2 Mar 2027, 01:30 UTC');
  });

  it('leaves text that is not an instant as it is', () => {
    expect(formatUtc('later')).toBe('later');
  });
});

describe('saveBlob', () => {
  it('clicks a download link to an object URL named after the document, then removes it', () => {
    const created = jest.fn(() => 'blob:pdf-1');
    Object.assign(URL, { createObjectURL: created, revokeObjectURL: jest.fn() });
    const clicked: { href: string; download: string }[] = [];
    const click = jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push({ href: this.href, download: this.download });
    });
    const blob = new Blob(['%PDF'], { type: 'application/pdf' });
    saveBlob(document, blob, 'INV-2027-000001.pdf');
    expect(created).toHaveBeenCalledWith(blob);
    expect(clicked).toEqual([{ href: 'blob:pdf-1', download: 'INV-2027-000001.pdf' }]);
    expect(document.querySelector('a[download]')).toBeNull();
    click.mockRestore();
  });
});
