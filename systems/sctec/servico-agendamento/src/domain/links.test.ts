import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Actor } from './booking.js';
import { bookingLinks, path, telescopeHref, type BookingForLinks } from './links.js';

const START = 1_764_558_000_000; // 2025-12-01T03:00:00Z
const BEFORE = START - 60_000;
const owner: Actor = { id: 7, papel: 'cientista' };
const stranger: Actor = { id: 8, papel: 'cientista' };
const admin: Actor = { id: 1, papel: 'admin' };
const booking: BookingForLinks = {
  id: 42,
  telescopio_id: 'Hubble-Acad',
  cientista_id: 7,
  status: 'ativo',
  startMs: START,
};

describe('bookingLinks', () => {
  test('when the owner views an active future booking, then self, telescopio, cientista and a POST cancelar link are present', () => {
    assert.deepEqual(bookingLinks(booking, owner, BEFORE), {
      self: { href: '/agendamentos/42' },
      telescopio: { href: '/telescopios/Hubble-Acad' },
      cientista: { href: '/cientistas/7' },
      cancelar: { href: '/agendamentos/42/cancelamento', method: 'POST', title: 'Cancelar este agendamento' },
    });
  });

  test('when an admin views someone else’s active future booking, then cancelar is present', () => {
    assert.ok(bookingLinks(booking, admin, BEFORE).cancelar);
  });

  test('when another scientist views the booking, then there is no cancelar key at all', () => {
    const links = bookingLinks(booking, stranger, BEFORE);
    assert.equal('cancelar' in links, false);
    assert.deepEqual(Object.keys(links).sort(), ['cientista', 'self', 'telescopio']);
  });

  test('when the booking is cancelled, then there is no cancelar link', () => {
    assert.equal('cancelar' in bookingLinks({ ...booking, status: 'cancelado' }, owner, BEFORE), false);
  });

  test('when the booking has started, then there is no cancelar link', () => {
    assert.equal('cancelar' in bookingLinks(booking, owner, START), false);
  });

  test('when the telescope id holds reserved or non-ASCII characters, then its href segment is percent-encoded', () => {
    const links = bookingLinks({ ...booking, telescopio_id: 'Hubble Acad/é?#' }, owner, BEFORE);
    assert.equal(links.telescopio.href, '/telescopios/Hubble%20Acad%2F%C3%A9%3F%23');
    assert.equal(telescopeHref('a.b_c-d'), '/telescopios/a.b_c-d');
  });

  test('hrefs are relative paths', () => {
    const { self, telescopio, cientista, cancelar } = bookingLinks(booking, owner, BEFORE);
    for (const link of [self, telescopio, cientista, cancelar])
      assert.match(link?.href ?? 'missing', /^\/[^/]/);
  });
});

describe('path', () => {
  test('encodes every interpolated value and keeps the literal parts', () => {
    assert.equal(path`/a/${'x/y'}/b/${3}`, '/a/x%2Fy/b/3');
    assert.equal(path`/plain`, '/plain');
  });
});
