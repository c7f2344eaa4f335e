/**
 * Fictional "leaked" memos, written for the end-to-end tests only. They are NOT leaked documents
 * and quote no real leak: the test lists fingerprint them, and the test pages quote them.
 * The campaign, places and people are invented.
 */
export const MEMOS: readonly string[] = [
  // 0: in every test list (v1 and later)
  'Subject: weekend logistics for the Horizon campaign. We need fourteen volunteers at the Grenoble ' +
    'office on Saturday morning to fold leaflets, answer the hotline and check the lists of polling ' +
    'station observers. The blue minibus leaves the depot at seven sharp and comes back at noon, so ' +
    'anyone who needs a lift must tell Margaux before Thursday evening. Keys to the storage room stay ' +
    'with the caretaker; sign the register when you take them and again when you bring them back.',
  // 1: in every test list (v1 and later)
  'Subject: answers for the regional radio debate. If the presenter asks about the tramway extension, ' +
    'say that the second line will be financed by the regional plan and never mention the budget ' +
    'overrun of last autumn. On the hospital question, point to the three new night clinics and the ' +
    'nurses hired since January. Keep every answer under forty seconds, smile at the end and thank ' +
    'the listeners who called in, even the hostile ones, because the clip will be shared online.',
  // 2: only in the list added from the options page (key B)
  'Subject: inventory of the regional warehouse. The cardboard stands for the market stalls are ' +
    'stacked behind the orange door, the spare megaphones are in the grey cupboard with new batteries, ' +
    'and the flags ordered in March still have not arrived. Ask the carrier for a tracking number every ' +
    'morning and write down who borrowed which tent, because six of them came back torn last spring.',
];

/** Words [from, to) of a memo: the quote a test page carries. */
export function excerpt(memo: number, from: number, to: number): string {
  const text = MEMOS[memo];
  if (text === undefined) throw new Error(`no memo ${memo}`);
  return text.split(/\s+/).slice(from, to).join(' ');
}
