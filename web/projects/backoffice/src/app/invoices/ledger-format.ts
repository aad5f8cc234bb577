import { formatDay } from '@astro/shared';

/** An instant as people read it in the ledger, in UTC (the documents' years are UTC years): `1 Mar 2027, 12:00 UTC`. */
export function formatUtc(iso: string): string {
  const instant = new Date(iso);
  if (Number.isNaN(instant.getTime())) {
    return iso;
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${formatDay(iso, 'UTC')}, ${pad(instant.getUTCHours())}:${pad(instant.getUTCMinutes())} UTC`;
}

/**
 * Saves `blob` as a download named `fileName` (a temporary object URL, never
 * a URL with the token: the PDF was fetched with the bearer header).
 */
export function saveBlob(doc: Document, blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = doc.createElement('a');
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  doc.body.appendChild(link);
  link.click();
  link.remove();
  // Revoked after the click has started the download.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
