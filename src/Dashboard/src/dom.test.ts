// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { fillRows } from './dom';

function texts(body: HTMLElement): string[][] {
  return [...body.children].map((tr) => [...tr.children].map((td) => td.textContent ?? ''));
}

describe('fillRows', () => {
  it('reuses rows and cells, writes only what changed, and grows and shrinks with the data', () => {
    const body = document.createElement('tbody');
    fillRows(
      body,
      [
        ['eth0', '1 KiB/s'],
        ['eth1', '2 KiB/s'],
      ],
      ['name', 'num'],
    );
    const cell = body.children[0].children[1];
    expect(texts(body)).toEqual([
      ['eth0', '1 KiB/s'],
      ['eth1', '2 KiB/s'],
    ]);

    fillRows(
      body,
      [
        ['eth0', '5 KiB/s'],
        ['eth1', '2 KiB/s'],
        [{ text: 'wlan0', className: 'hot', title: 'wifi' }, '0 B/s'],
      ],
      ['name', 'num'],
    );
    expect(body.children[0].children[1]).toBe(cell); // the same element, new text
    expect(texts(body)).toEqual([
      ['eth0', '5 KiB/s'],
      ['eth1', '2 KiB/s'],
      ['wlan0', '0 B/s'],
    ]);
    const wlan = body.children[2].children[0] as HTMLElement;
    expect(wlan.className).toBe('name hot');
    expect(wlan.title).toBe('wifi');

    fillRows(body, [[{ text: 'eth0' }, '1 KiB/s']], ['name', 'num']);
    expect(texts(body)).toEqual([['eth0', '1 KiB/s']]);
    expect((body.children[0].children[0] as HTMLElement).className).toBe('name');
  });

  it('puts element cells in as they are and keeps hostile text as text', () => {
    const body = document.createElement('tbody');
    const bar = document.createElement('progress');
    fillRows(body, [['<img src=x onerror=alert(1)>', bar]], [undefined, undefined]);
    expect(body.querySelector('img')).toBeNull();
    expect(body.children[0].children[1].firstChild).toBe(bar);
  });
});
