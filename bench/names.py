"""zh-TW names and texts for the synthetic world: plausible, not real people or companies."""

from __future__ import annotations

import random

SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周葉蘇莊呂江何蕭羅高潘簡朱鍾彭游詹胡施沈余盧梁趙顏柯翁魏孫戴"
GIVEN_NAMES = (
    "志明 淑芬 建宏 雅婷 俊傑 怡君 家豪 佳蓉 冠宇 宜蓁 承翰 詩涵 柏翰 欣怡 宗翰 佩珊 彥廷 惠雯 信宏 筱涵 "
    "育成 靜宜 國華 美玲 子晴 品妤 宥廷 芷若 承恩 語彤 柏宇 心怡 冠廷 郁婷 家瑋 思妤"
)
GIVEN = tuple(GIVEN_NAMES.split(" "))
AGENCIES = (
    "臺北市政府社會局",
    "臺北市家庭暴力暨性侵害防治中心",
    "臺北市立浩然敬老院",
    "臺北市立陽明教養院",
    "臺北市立兒童托育資源中心",
    "臺北市立浩然老人養護所",
    "臺北市身心障礙者資源中心",
    "臺北市遊民收容中心",
)
VENDOR_WORDS = tuple(
    [
        "北辰",
        "立安",
        "青禾",
        "永信",
        "宏碁",
        "遠揚",
        "聯合",
        "創新",
        "全球",
        "大同",
        "翔宇",
        "凌雲",
        "啟明",
        "嘉和",
        "星河",
        "匯豐",
        "恆達",
        "銳智",
        "華展",
        "群英",
    ]
)
VENDOR_KINDS = ("資訊股份有限公司", "系統整合有限公司", "數位科技股份有限公司", "軟體工程有限公司")
SYSTEMS = (
    "社會福利資訊系統",
    "身心障礙者補助系統",
    "保護個案管理系統",
    "育兒津貼線上申辦系統",
    "住民照顧管理系統",
    "敬老卡資料交換",
    "低收入戶審核系統",
    "長期照顧服務平台",
    "志工管理系統",
    "急難救助申辦平台",
)
WORKS = ("維運案", "客製開發案", "維護案", "介接案", "擴充案")
UNITS = (
    "社會救助科",
    "身心障礙者福利科",
    "老人福利科",
    "婦女及兒童福利科",
    "人民團體科",
    "綜合企劃科",
)
LOCATIONS = (
    "本局 3 樓資訊室",
    "本局 5 樓機房",
    "廠商駐點辦公室",
    "中心 2 樓檔案室",
    "院區行政大樓 1 樓",
)
INCIDENTS = (
    "疑似帳號遭盜用",
    "專用電腦感染惡意程式",
    "資料誤寄外部信箱",
    "系統異常存取告警",
    "隨身碟遺失",
)
PLEDGE = (
    "專案作業人員保密切結書　立切結書人受託辦理臺北市政府社會局委託案，茲切結遵守下列事項："
    "一、於執行業務期間及離職後，對所知悉或持有之個人資料及機密資訊，均負保密義務，不得洩漏、"
    "交付或以其他方式提供予第三人。二、非經機關同意，不得複製、攜出或以任何方式留存業務資料。"
    "三、僅得於專用電腦處理委託業務，不得安裝未經授權之軟體，並應遵守機關資通安全管理規定。"
    "四、如有違反，願負民事、刑事及行政責任，並賠償機關因此所受之一切損害。"
    "五、本切結書所稱個人資料，依個人資料保護法第二條之定義；所稱機密資訊，包括機關之業務文件、"
    "系統設計、帳號密碼及其他經機關標示為限閱之資料。"
)


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def agency(i: int) -> str:
    base = AGENCIES[i % len(AGENCIES)]
    return base if i < len(AGENCIES) else f"{base}（第 {i // len(AGENCIES) + 1} 分處）"


def vendor(rng: random.Random, i: int) -> str:
    word = VENDOR_WORDS[i % len(VENDOR_WORDS)] + rng.choice(VENDOR_WORDS)
    return f"{word}{rng.choice(VENDOR_KINDS)}"


def contract(rng: random.Random) -> str:
    return rng.choice(SYSTEMS) + rng.choice(WORKS)


def unit(rng: random.Random) -> str:
    return rng.choice(UNITS)


def location(rng: random.Random) -> str:
    return rng.choice(LOCATIONS)


def incident(rng: random.Random) -> str:
    return rng.choice(INCIDENTS)


def national_id(rng: random.Random) -> str:
    """A national-ID-shaped string (only ever stored masked, so no checksum is needed)."""
    return (
        rng.choice("ABCDEFGHJKLMNPQRSTUVXYWZ")
        + rng.choice("12")
        + f"{rng.randint(0, 99_999_999):08d}"
    )


def excerpt(rng: random.Random) -> str:
    """The start of a document's text layer, as inspection keeps it (up to 500 characters)."""
    return (PLEDGE * 2)[: rng.randint(150, 500)]
