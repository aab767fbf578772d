"""Shared wording for rate limits: every throttle tells people, in Chinese, when to try again."""


def wait_label(seconds: int) -> str:
    """``45`` → "45 秒", ``3001`` → "51 分钟", ``7300`` → "3 小时" (rounded up, never "0")."""
    seconds = max(1, int(seconds))
    if seconds < 120:
        return f"{seconds} 秒"
    if seconds < 7200:
        return f"{(seconds + 59) // 60} 分钟"
    return f"{(seconds + 3599) // 3600} 小时"
