"""The "六个一" basic services as data (rule C2). The seeds name the standard ("落实“六个一”基本服务制度",
001) but not its items; these are the six items in common use at stations. Administrators change, add or
switch off items in the admin (BasicService) without a code change."""

from django.db import migrations

ITEMS = [
    ("bath", "洗一次热水澡", "入站后安排洗澡，必要时协助"),
    ("haircut", "理一次发", "理发、剪指甲，整理个人卫生"),
    ("clothes", "换一套干净衣服", "按季节发放干净衣物，换下的衣物清洗消毒"),
    ("hot_meal", "吃一顿热饭", "入站后及时提供热饭热菜"),
    ("clean_bed", "睡一张干净床", "安排干净床位和被褥"),
    ("talk", "进行一次谈心", "了解情况、心理疏导，告知站内规定和权益"),
]


def seed(apps, schema_editor):
    BasicService = apps.get_model("dailycare", "BasicService")
    for order, (code, name, description) in enumerate(ITEMS, start=1):
        BasicService.objects.get_or_create(code=code, defaults={"name": name, "description": description,
                                                                "order": order})


def unseed(apps, schema_editor):
    apps.get_model("dailycare", "BasicService").objects.filter(code__in=[c for c, _, _ in ITEMS]).delete()


class Migration(migrations.Migration):
    dependencies = [("dailycare", "0001_daily_care_and_special_groups")]
    operations = [migrations.RunPython(seed, unseed)]
