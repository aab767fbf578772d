"""Input formats for Simplified Chinese: HTML date and datetime-local inputs need ISO values.

Django's zh_Hans locale renders dates as 2026/11/22, which a browser's <input type="date"> discards
(the field then arrives empty). The first format of each list is the one used for rendering.
"""

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y%m%d"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
]
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S"]
