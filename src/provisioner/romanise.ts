import { pinyin } from 'pinyin-pro';

/** Han ideographs (CJK Unified, Extension A, Compatibility); kana and hangul are not romanised. */
const HAN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/;

/**
 * Two-character family names common in Taiwan and in the classical list; any
 * other name is read as a one-character family name followed by the given name.
 */
const COMPOUND_SURNAMES = new Set([
  '歐陽',
  '欧阳',
  '司馬',
  '司马',
  '諸葛',
  '诸葛',
  '上官',
  '東方',
  '东方',
  '皇甫',
  '尉遲',
  '尉迟',
  '公孫',
  '公孙',
  '令狐',
  '慕容',
  '夏侯',
  '端木',
  '司徒',
  '長孫',
  '长孙',
  '宇文',
  '張簡',
  '张简',
  '范姜',
  '張廖',
  '张廖',
  '簡李',
  '简李',
  '周黃',
  '周黄',
]);

/** Toneless Mandarin syllables of the Han characters in `text`, in order; everything else is dropped. */
function syllables(text: string): string[] {
  const han = [...text].filter((c) => HAN.test(c)).join('');
  if (!han) return [];
  return pinyin(han, { toneType: 'none', type: 'array', surname: 'head', nonZh: 'removed' });
}

/**
 * A Chinese personal name read as family name + initials of the given name
 * (王小明 → wangxm, 歐陽娜娜 → ouyangnn): readable, and more distinct than the
 * family name alone, so fewer people share a username and need `-2`. Empty
 * when the name holds no Han characters.
 */
export function romanisePersonName(name: string): string {
  const chars = [...name].filter((c) => HAN.test(c));
  const familyLength = COMPOUND_SURNAMES.has(chars.slice(0, 2).join('')) ? 2 : 1;
  const parts = syllables(chars.join(''));
  if (parts.length === 0) return '';
  const family = parts.slice(0, familyLength).join('');
  const initials = parts
    .slice(familyLength)
    .map((s) => s.charAt(0))
    .join('');
  return family + initials;
}

/** A Chinese organisation name as its full pinyin (宏碁資訊 → hongqizixun); empty when it holds no Han characters. */
export function romaniseName(name: string): string {
  return syllables(name).join('');
}
