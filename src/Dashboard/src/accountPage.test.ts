import { describe, expect, it } from 'vitest';
import { qrDataUrl } from './accountPage';

describe('qrDataUrl', () => {
  it('draws the otpauth URI as an SVG data URL (which the CSP allows as an image)', () => {
    const url = qrDataUrl('otpauth://totp/SysMon:alice?secret=JBSWY3DPEHPK3PXP&issuer=SysMon');
    expect(url.startsWith('data:image/svg+xml;base64,')).toBe(true);
    const svg = atob(url.slice('data:image/svg+xml;base64,'.length));
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="0 0 (\d+) \1">/);
    expect(svg).toContain('<path');
    // A longer URI needs a larger code: the picture depends on the text.
    expect(qrDataUrl(`otpauth://totp/SysMon:${'a'.repeat(60)}?secret=JBSWY3DPEHPK3PXP`)).not.toBe(url);
  });
});
