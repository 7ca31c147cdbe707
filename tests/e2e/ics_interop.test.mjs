// A unit's schedule exported as .ics and read back by an independent parser, as a calendar
// application reads it: ical.js (Mozilla's, used by Thunderbird) knows no time zone but those the
// file gives it, so every TZID must come with its VTIMEZONE, and the occurrences it expands must
// be the server's own, to the minute, across a change of daylight saving time.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import ICAL from 'ical.js';
import { Loa } from './harness.mjs';

const loa = new Loa();
before(() => loa.start());
after(() => loa.stop());

const entries = [
  // A date alone as UNTIL: the end of that local day.
  { start: '2027-01-04T06:30:00', time_zone: 'Asia/Ho_Chi_Minh', rule: 'FREQ=DAILY;UNTIL=20270120',
    exceptions: ['2027-01-06T06:30:00'] },
  // A local UNTIL, in a zone whose clocks move forward on 28 March 2027.
  { start: '2027-01-04T17:00:00', time_zone: 'Europe/Berlin', rule: 'FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20270405T170000' },
  { start: '2027-01-05T09:00:00', time_zone: 'Asia/Ho_Chi_Minh', rule: 'FREQ=MONTHLY;BYMONTHDAY=5;COUNT=4' },
  { start: '2027-02-10T20:15:00', time_zone: 'Asia/Ho_Chi_Minh' },
];
const from = Date.UTC(2027, 0, 1);
const windows = [[from, Date.UTC(2027, 2, 1)], [Date.UTC(2027, 2, 1), Date.UTC(2027, 4, 1)]];

test("an exported schedule reads back in ical.js with the server's occurrences", () => {
  const program = loa.call('programs.create', { unit: '70-001', kind: 'tts', title: 'Bản tin',
    text: 'Kính thưa bà con.' });
  loa.call('programs.decide', { id: program.id, approval: 'approved' });
  const ids = entries.map((e) => loa.call('entries.create',
    { program: program.id, units: ['70-001'], duration_s: 600, ...e }).id);

  const server = new Map(ids.map((id) => [id, []]));
  for (const [fromMs, toMs] of windows)
    for (const o of loa.call('entries.occurrences', { from_ms: fromMs, to_ms: toMs }))
      if (server.has(o.entry) && o.start_ms >= fromMs) server.get(o.entry).push(o.start_ms);

  const { ics } = loa.call('schedule.export', { unit: '70-001' });
  const calendar = new ICAL.Component(ICAL.parse(ics));
  const zones = calendar.getAllSubcomponents('vtimezone');
  assert.deepEqual(zones.map((z) => z.getFirstPropertyValue('tzid')).sort(),
    ['Asia/Ho_Chi_Minh', 'Europe/Berlin'], 'one VTIMEZONE for each zone named');
  for (const zone of zones) ICAL.TimezoneService.register(zone);

  const events = calendar.getAllSubcomponents('vevent').map((v) => new ICAL.Event(v));
  assert.equal(events.length, entries.length);
  for (const event of events) {
    const id = Number(event.uid.match(/^entry-(\d+)@loa$/)[1]);
    const wanted = entries[ids.indexOf(id)];
    assert.equal(event.startDate.zone.tzid, wanted.time_zone, `entry ${id} is not floating`);
    const expanded = [];
    const iterator = event.iterator();
    for (let next = iterator.next(), n = 0; next && n < 500; next = iterator.next(), n++) {
      const at = next.toUnixTime() * 1000;
      if (at >= windows[1][1]) break;
      if (at >= from) expanded.push(at);
    }
    assert.ok(expanded.length > 0, `entry ${id} has occurrences`);
    assert.deepEqual(expanded, server.get(id), `entry ${id} (${wanted.rule ?? 'once'}): ical.js = the server`);
  }
});
