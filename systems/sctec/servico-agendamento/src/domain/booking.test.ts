import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BOOKING_STATUSES,
  canCancel,
  isActorRole,
  isBookingStatus,
  showsCancelLink,
  type Actor,
  type CancellableBooking,
} from './booking.js';

const START = 1_764_558_000_000; // 2025-12-01T03:00:00Z
const BEFORE = START - 60_000;
const owner: Actor = { id: 7, papel: 'cientista' };
const stranger: Actor = { id: 8, papel: 'cientista' };
const admin: Actor = { id: 1, papel: 'admin' };
const active: CancellableBooking = { cientista_id: 7, status: 'ativo', startMs: START };
const cancelled: CancellableBooking = { ...active, status: 'cancelado' };

describe('booking status and roles are the Portuguese wire values', () => {
  test('statuses are exactly "ativo" and "cancelado"', () => {
    assert.deepEqual(BOOKING_STATUSES, ['ativo', 'cancelado']);
    assert.equal(isBookingStatus('ativo'), true);
    assert.equal(isBookingStatus('cancelado'), true);
    assert.equal(isBookingStatus('active'), false);
    assert.equal(isBookingStatus(undefined), false);
  });

  test('roles are exactly "cientista" and "admin"', () => {
    assert.equal(isActorRole('cientista'), true);
    assert.equal(isActorRole('admin'), true);
    assert.equal(isActorRole('Admin'), false);
  });
});

describe('canCancel', () => {
  test('when the owner cancels an active booking before it starts, then it is ok', () => {
    assert.equal(canCancel(active, owner, BEFORE), 'ok');
  });

  test('when an admin cancels someone else’s active booking before it starts, then it is ok', () => {
    assert.equal(canCancel(active, admin, BEFORE), 'ok');
  });

  test('when another scientist tries to cancel, then it is forbidden', () => {
    assert.equal(canCancel(active, stranger, BEFORE), 'forbidden');
  });

  test('when another scientist tries to cancel a cancelled or started booking, then it is still just forbidden', () => {
    assert.equal(canCancel(cancelled, stranger, BEFORE), 'forbidden');
    assert.equal(canCancel(active, stranger, START + 1), 'forbidden');
  });

  test('when the booking is already cancelled, then it is already-cancelled (even after its start)', () => {
    assert.equal(canCancel(cancelled, owner, BEFORE), 'already-cancelled');
    assert.equal(canCancel(cancelled, admin, START + 3_600_000), 'already-cancelled');
  });

  test('when the first slot starts exactly now, then it is already-started', () => {
    assert.equal(canCancel(active, owner, START), 'already-started');
  });

  test('when the booking is in progress or over, then it is already-started, for admins too', () => {
    assert.equal(canCancel(active, owner, START + 1), 'already-started');
    assert.equal(canCancel(active, admin, START + 86_400_000), 'already-started');
  });

  test('when 1 ms remains before the start, then the owner may still cancel', () => {
    assert.equal(canCancel(active, owner, START - 1), 'ok');
  });

  test('ownership compares ids exactly: scientist 7 does not own a booking of scientist 70', () => {
    assert.equal(canCancel({ ...active, cientista_id: 70 }, owner, BEFORE), 'forbidden');
  });
});

describe('showsCancelLink', () => {
  test('shows the link exactly when canCancel says ok', () => {
    const cases: [CancellableBooking, Actor, number][] = [
      [active, owner, BEFORE],
      [active, admin, BEFORE],
      [active, stranger, BEFORE],
      [cancelled, owner, BEFORE],
      [active, owner, START],
    ];
    for (const [booking, viewer, now] of cases) {
      assert.equal(showsCancelLink(booking, viewer, now), canCancel(booking, viewer, now) === 'ok');
    }
    assert.equal(showsCancelLink(active, owner, BEFORE), true);
    assert.equal(showsCancelLink(active, stranger, BEFORE), false);
  });
});
