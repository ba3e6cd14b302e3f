import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandTemplate } from './uri-template.js';

const ROOT_TEMPLATE = '/agendamentos{?telescopio_id,cientista_id,status,de,ate,limite,offset}';

test('when some query variables are set, then only those appear, in template order', () => {
  assert.equal(
    expandTemplate(ROOT_TEMPLATE, {
      limite: 200,
      telescopio_id: 'Hubble-Acad',
      status: 'ativo',
      de: '2027-03-01T00:00:00.000Z',
      ate: '2027-03-02T00:00:00.000Z',
    }),
    '/agendamentos?telescopio_id=Hubble-Acad&status=ativo&de=2027-03-01T00%3A00%3A00.000Z&ate=2027-03-02T00%3A00%3A00.000Z&limite=200',
  );
});

test('when no variable is set, then the query expression disappears entirely', () => {
  assert.equal(expandTemplate(ROOT_TEMPLATE, {}), '/agendamentos');
  assert.equal(expandTemplate(ROOT_TEMPLATE, { status: undefined, limite: null }), '/agendamentos');
});

test('values are percent-encoded as unreserved text (RFC 6570 §3.2.2)', () => {
  assert.equal(
    expandTemplate('/t{?q}', { q: "a b&c=d/é!'()*" }),
    '/t?q=a%20b%26c%3Dd%2F%C3%A9%21%27%28%29%2A',
  );
  assert.equal(expandTemplate('/telescopios/{id}', { id: 'Hubble Acad' }), '/telescopios/Hubble%20Acad');
});

test('continuation {&…}, simple lists and empty strings follow the RFC examples', () => {
  assert.equal(expandTemplate('/x?fixed=1{&a,b}', { a: 1, b: 'two' }), '/x?fixed=1&a=1&b=two');
  assert.equal(expandTemplate('{x,y}', { x: 1024, y: 768 }), '1024,768');
  assert.equal(expandTemplate('/x{?empty}', { empty: '' }), '/x?empty=');
});

test('a template without expressions is returned as is', () => {
  assert.equal(expandTemplate('/agendamentos', { a: 1 }), '/agendamentos');
});

test('unsupported operators and modifiers are refused instead of mis-expanded', () => {
  assert.throws(() => expandTemplate('/x{#frag}', { frag: 'a' }), /operator "#"/);
  assert.throws(() => expandTemplate('/x{?list*}', { list: 'a' }), /not supported/);
  assert.throws(() => expandTemplate('/x{?v:3}', { v: 'abcdef' }), /not supported/);
});
