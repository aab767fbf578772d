"""Realistic Chinese names, places and ID numbers for the demo city and benchmarks (no real people)."""

import datetime
import random

from guitu_match.idcard import checksum_char

# Surnames weighted roughly by frequency in the population.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
MALE_CHARS = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆建国志文春林海峰东亮成龙德胜福贵生发财顺宝荣根金水土山"
FEMALE_CHARS = "芳娜敏静丽艳娟霞燕玲桂英秀兰红梅琴云莲凤珍萍雪婷琳慧淑翠花香美玉春菊"
NICK_PREFIX = ("阿", "小", "老")
DIALECTS = ("粤语", "客家话", "湖南话", "四川话", "河南话", "普通话", "广西白话", "潮汕话", "江西话", "贵州话", "不详")
# Provinces many people in Guangdong's rescue stations come from, with weights.
HOME_PROVINCES = (("44", 40), ("43", 12), ("45", 10), ("51", 8), ("41", 8), ("36", 6), ("52", 5), ("42", 5),
                  ("35", 3), ("50", 3))
MARKS = ("左眉有疤痕", "右手缺小指", "左臂有“忍”字纹身", "门牙缺失", "右脸有黑痣", "跛行（左腿）", "后脑有旧伤疤",
         "双耳佩戴助听器", "右手背有烫伤疤", "无明显特征", "")


def person_name(rng: random.Random, sex: str) -> str:
    chars = MALE_CHARS if sex == "男" else FEMALE_CHARS
    given = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def id_number(rng: random.Random, county_code: str, birth: datetime.date, sex: str) -> str:
    seq = rng.randrange(0, 99) * 10 + (rng.choice((1, 3, 5, 7, 9)) if sex == "男" else rng.choice((0, 2, 4, 6, 8)))
    first17 = f"{county_code}{birth:%Y%m%d}{seq:03d}"
    return first17 + checksum_char(first17)


def weighted_province(rng: random.Random) -> str:
    total = sum(w for _, w in HOME_PROVINCES)
    pick = rng.uniform(0, total)
    for code, weight in HOME_PROVINCES:
        pick -= weight
        if pick <= 0:
            return code
    return HOME_PROVINCES[0][0]
