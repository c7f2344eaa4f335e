/**
 * Reproducible synthetic text for the benchmarks: mixed English/French prose cut into blocks of 50-300 words
 * (posts, paragraphs), drawn from word lists with a Zipf-like frequency, a seeded RNG, occasional accents,
 * elisions, punctuation, numbers, hashtags and links. Same seed, same bytes, on every machine.
 */

/** mulberry32: tiny, fast, good enough for test data. Returns floats in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform random 32-bit unsigned integer from the same generator. */
export function u32(random: () => number): number {
  return Math.floor(random() * 4294967296) >>> 0;
}

const EN = `the of and to a in is it you that he was for on are with as I his they be at one have this from
or had by hot word but what some we can out other were all there when up use your how said an each she which
do their time if will way about many then them write would like so these her long make thing see him two has
look more day could go come did number sound no most people my over know water than call first who may down
side been now find any new work part take get place made live where after back little only round man year came
show every good me give our under name very through just form sentence great think say help low line differ turn
cause much mean before move right boy old too same tell does set three want air well also play small end put home
read hand port large spell add even land here must big high such follow act why ask men change went light kind
off need house picture try us again animal point mother world near build self earth father head stand own page
should country found answer school grow study still learn plant cover food sun four between state keep eye never
last let thought city tree cross farm hard start might story saw far sea draw left late run don't while press
close night real life few north open seem together next white children begin got walk example ease paper group
always music those both mark often letter until mile river car feet care second book carry took science eat room
friend began idea fish mountain stop once base hear horse cut sure watch color face wood main enough plain girl
usual young ready above ever red list though feel talk bird soon body dog family direct pose leave song measure
door product black short numeral class wind question happen complete ship area half rock order fire south problem
piece told knew pass since top whole king space heard best hour better true during hundred five remember step
early hold west ground interest reach fast verb sing listen six table travel less morning ten simple several
vowel toward war lay against pattern slow center love person money serve appear road map rain rule govern pull
cold notice voice unit power town fine certain fly fall lead cry dark machine note wait plan figure star box noun
field rest correct able pound done beauty drive stood contain front teach week final gave green oh quick develop
ocean warm free minute strong special mind behind clear tail produce fact street inch multiply nothing course
stay wheel full force blue object decide surface deep moon island foot system busy test record boat common gold
possible plane stead dry wonder laugh thousand ago ran check game shape equate miss brought heat snow tire bring
yes distant fill east paint language among campaign election minister memo meeting budget contract email report
confidential draft attached forward policy press statement donor treasurer invoice agenda schedule spokesperson`
  .split(/\s+/)
  .filter(Boolean);

const FR =
  `le de un être et à il avoir ne je son que se qui ce dans en du elle au pour pas vous par sur faire plus
dire me on mon lui nous comme mais pouvoir avec tout y aller voir en bien où sans tu ou leur homme si deux mari
moi vouloir te femme venir quand grand celui notre devoir là jour prendre même votre rien petit encore aussi
quelque dont tout mer trouver donner temps ça peu même falloir sous parler alors main chose ton mettre vie savoir
yeux passer autre après regarder toujours puis jamais cela aimer non heure croire cent monde donc enfant fois
seul autre entre vers chez demander jeune jusque très moment rester répondre tête père fille mille premier car
entendre ni bon trois cœur an quatre terre contre dieu monsieur voix penser quel arriver maison devant coup
beau connaître devenir air mot nuit sentir vers porte dernier mort mère revenir chercher laisser sortir lire
perdre pays été élection ministère réunion budget contrat courriel rapport confidentiel brouillon pièce jointe
transférer politique presse communiqué donateur trésorier facture ordre du jour calendrier porte-parole équipe
déjà également évidemment numéro député préfecture général société économie sécurité santé école université
état européen français première dernière décision événement théâtre élève fenêtre forêt hôpital hôtel château
îlot maître naïf noël garçon français reçu leçon façon ça déçu où là-bas voilà déjà après très près complète
problème système côté goût août coût âge âme bâtiment fête tête être même rêve grève achève élevé réalité
qualité activité difficulté propriété société vérité liberté égalité fraternité candidat campagne mouvement
trésorerie comptabilité virement dépense remboursement déplacement stratégie sondage meeting militant adhérent`
    .split(/\s+/)
    .filter(Boolean);

const SYLLABLES = [
  'ka',
  'ro',
  'mi',
  'tan',
  'vel',
  'dor',
  'ché',
  'lu',
  'pré',
  'sto',
  'gra',
  'nè',
  'bis',
  'fo',
];
const ELISIONS = ["l'", "d'", "qu'", "j'", "n'", "s'", "c'"];
const TLDS = ['org', 'net', 'fr', 'com', 'io'];

/** Rarer words (names, jargon) so that shingles are as diverse as in real text: 4,000 pseudo-words. */
function rareWords(random: () => number, count: number): string[] {
  const out = new Set<string>();
  while (out.size < count) {
    let w = '';
    const n = 2 + Math.floor(random() * 3);
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(random() * SYLLABLES.length)]!;
    out.add(w);
  }
  return [...out];
}

class Vocabulary {
  private readonly words: string[];
  private readonly cdf: Float64Array;
  /** Common words get Zipf weights 1 / (rank + 2); the rare ones share `rareShare` of the draws evenly. */
  constructor(common: string[], rare: string[], rareShare: number) {
    this.words = [...common, ...rare];
    this.cdf = new Float64Array(this.words.length);
    let zipf = 0;
    for (let i = 0; i < common.length; i++) zipf += 1 / (i + 2);
    let total = 0;
    for (let i = 0; i < this.words.length; i++) {
      total += i < common.length ? ((1 - rareShare) * (1 / (i + 2))) / zipf : rareShare / rare.length;
      this.cdf[i] = total;
    }
    for (let i = 0; i < this.words.length; i++) this.cdf[i]! /= total;
  }
  pick(random: () => number): string {
    const x = random();
    let lo = 0;
    let hi = this.cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return this.words[lo]!;
  }
}

function capitalise(w: string): string {
  return w.charAt(0).toUpperCase() + w.slice(1);
}

/** A leak's hashtags as its list would spell them: #MacronLeaks-like CamelCase, some with accents or a year. */
export function makeHashtags(seed: number, count: number): string[] {
  const random = rng(seed);
  const pool = [...EN.slice(0, 300), ...FR.slice(0, 300)].filter((w) => /^[\p{L}]+$/u.test(w));
  const out = new Set<string>();
  while (out.size < count) {
    let tag = capitalise(pool[Math.floor(random() * pool.length)]!);
    tag += capitalise(pool[Math.floor(random() * pool.length)]!);
    if (random() < 0.3) tag += String(2000 + Math.floor(random() * 30));
    if (random() < 0.2) tag += 'Leaks';
    out.add(tag);
  }
  return [...out];
}

export interface CorpusOptions {
  seed: number;
  /** Hashtags that appear now and then (e.g. the list's own), besides random ones. */
  knownHashtags?: readonly string[];
  /** Passages inserted verbatim now and then (leaked text being quoted). */
  quotes?: readonly string[];
  /** Probability that a block is a quote of one of `quotes`. */
  quoteRate?: number;
}

/** Endless generator of blocks (each 50-300 words). */
export class BlockGenerator {
  private readonly random: () => number;
  private readonly en: Vocabulary;
  private readonly fr: Vocabulary;
  private readonly otherTags: string[];
  constructor(private readonly o: CorpusOptions) {
    this.random = rng(o.seed);
    const rare = rareWords(rng(o.seed ^ 0x5bd1e995), 4000);
    this.en = new Vocabulary(EN, rare, 0.06);
    this.fr = new Vocabulary(FR, rare, 0.06);
    this.otherTags = makeHashtags(o.seed ^ 0x1234567, 2000);
  }

  /** One block of prose: `words` words (default 50-300). */
  block(words?: number): string {
    const r = this.random;
    if (this.o.quotes?.length && r() < (this.o.quoteRate ?? 0)) {
      const q = this.o.quotes[Math.floor(r() * this.o.quotes.length)]!;
      // a quote with a few words of comment around it, as in a post
      return `${this.sentence(6 + Math.floor(r() * 10), r() < 0.5 ? this.en : this.fr)} « ${q} »`;
    }
    const n = words ?? 50 + Math.floor(r() * 251);
    const main = r() < 0.55 ? this.en : this.fr;
    const other = main === this.en ? this.fr : this.en;
    const parts: string[] = [];
    let left = n;
    while (left > 0) {
      const len = Math.min(left, 6 + Math.floor(r() * 20));
      parts.push(this.sentence(len, main, other));
      left -= len;
    }
    return parts.join(' ');
  }

  private sentence(len: number, main: Vocabulary, other: Vocabulary = main): string {
    const r = this.random;
    let s = '';
    for (let i = 0; i < len; i++) {
      let w: string;
      const x = r();
      if (x < 0.002) {
        // hashtags: 1 word in 500; 1 in 20 of them is one of the known (listed) ones
        const known = this.o.knownHashtags;
        w = `#${known?.length && r() < 0.05 ? known[Math.floor(r() * known.length)]! : this.otherTags[Math.floor(r() * this.otherTags.length)]!}`;
      } else if (x < 0.0025) {
        w = `https://${main.pick(r)}-${main.pick(r)}.${TLDS[Math.floor(r() * TLDS.length)]}/${main.pick(r)}/${Math.floor(r() * 99999)}`;
      } else if (x < 0.02) {
        w = String(Math.floor(r() * (r() < 0.5 ? 100 : 100000)));
      } else {
        w = (r() < 0.05 ? other : main).pick(r);
        if (main === this.fr && r() < 0.06) w = ELISIONS[Math.floor(r() * ELISIONS.length)]! + w;
        // rare decomposed accents (e + U+0301) and full-width or upper-case forms, as pasted text has
        if (r() < 0.002) w = w.normalize('NFD');
        if (r() < 0.01) w = w.toUpperCase();
      }
      if (i === 0) w = capitalise(w);
      s += i === 0 ? w : ` ${w}`;
      const p = r();
      if (i < len - 1) {
        if (p < 0.07) s += ',';
        else if (p < 0.075) s += ' —';
        else if (p < 0.08) s += ';';
        else if (p < 0.082) s += ' (ok)';
      }
    }
    const end = r();
    return s + (end < 0.8 ? '.' : end < 0.9 ? '?' : end < 0.97 ? '!' : '…');
  }
}

export interface Corpus {
  blocks: string[];
  /** UTF-8 bytes of all blocks. */
  bytes: number;
  words: number;
}

/** Blocks until `targetBytes` UTF-8 bytes are reached. */
export function makeCorpus(targetBytes: number, options: CorpusOptions): Corpus {
  const gen = new BlockGenerator(options);
  const blocks: string[] = [];
  let bytes = 0;
  let words = 0;
  while (bytes < targetBytes) {
    const b = gen.block();
    blocks.push(b);
    bytes += Buffer.byteLength(b, 'utf8');
    words += b.split(' ').length;
  }
  return { blocks, bytes, words };
}
