"""The columns of the campaign summary table (情况汇总表, seed document 004, annex 1), in the annex's order.

Pure Python (no Django): the layout is shared by the page, the print view, the Excel export and the API.
Each leaf column says where its figure comes from:

- ``computed``: counted from records this system holds (campaign.selectors);
- ``outsidecare`` / ``settlement``: asked of that app's ``selectors.campaign_figures`` contract; while the app is
  not installed the column shows :data:`NOT_AVAILABLE`, never a made-up figure;
- ``declaration``: entered by the department per county with its source document (campaign.Declaration);
- ``rows``: the number of county rows itself (县（市、区）总数).
"""

from dataclasses import dataclass, field

#: What a column shows while the app that owns its records is not yet part of the system.
NOT_AVAILABLE = "暂无数据来源"
#: A declaration column of a county the department has not filled in yet.
NOT_DECLARED = "未填报"

COMPUTED, OUTSIDECARE, SETTLEMENT, DECLARATION, ROWS = "computed", "outsidecare", "settlement", "declaration", "rows"


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    source: str
    #: "count" (a number summed into the city total), "split" (city-level and county-level stations counted
    #: apart), "text" (a declaration's words), "yes" (a declaration counted as the number of counties saying yes)
    kind: str = "count"


@dataclass(frozen=True)
class SubGroup:
    label: str
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class Group:
    label: str
    items: tuple = field(default_factory=tuple)  # Column or SubGroup

    @property
    def columns(self) -> list[Column]:
        out: list[Column] = []
        for item in self.items:
            out.extend(item.columns if isinstance(item, SubGroup) else [item])
        return out


GROUPS: tuple[Group, ...] = (
    Group("地方党委和政府履职情况", (
        Column("leadership", "县（市、区）是否成立政府负责同志牵头的领导协调机制，专项行动期间领导协调机制发挥作用情况"
                             "（注明召开会议时间、研究事项）", DECLARATION, "text"),
        Column("leaders_guidance", "县（市、区）党委政府领导对救助管理工作调研指导、解决工作中的突出困难和问题情况",
               DECLARATION, "text"),
    )),
    Group("照料服务达标行动开展情况", (
        SubGroup("救助管理机构监管情况", (
            Column("stations_total", "救助管理机构总数", COMPUTED),
            Column("stations_inspected", "相关部门实地检查个数", COMPUTED),
        )),
        SubGroup("托养机构监管情况", (
            Column("facilities_total", "托养机构总数", OUTSIDECARE),
            Column("facilities_inspected", "相关部门实地检查个数", OUTSIDECARE),
        )),
        Column("outside_care_at", "截至{as_of}站外托养人数", OUTSIDECARE),
        Column("brought_back", "专项行动期间接回站内照料人数", OUTSIDECARE),
        Column("incidents", "专项行动期间是否发生负面舆情等异常情况", COMPUTED, "incidents"),
    )),
    Group("救助寻亲服务行动开展情况", (
        Column("stranded_unidentified", "滞留超过10天（无法查明身份信息）人员数量", COMPUTED),
        Column("identified", "专项行动以来查明滞留人员身份信息数量", COMPUTED),
    )),
    Group("街面巡查和综合治理行动开展情况", (
        Column("counties", "县（市、区）总数", ROWS),
        Column("patrol_duties", "已建成公安、城管牵头履行街面巡查职责县（市、区）个数", DECLARATION, "yes"),
    )),
    Group("落户安置行动开展情况", (
        Column("stranded_at", "截至{as_of}滞留人员总数", COMPUTED),
        Column("settlement_applications", "向民政部门报请安置申请人数", SETTLEMENT),
        Column("settlement_plans", "民政部门向同级政府报安置方案人数", SETTLEMENT),
        Column("settlement_approvals", "政府部门批准落户安置人数", SETTLEMENT),
        Column("long_term_no_hukou", "长期安置（未落户）人数", SETTLEMENT),
    )),
    Group("源头治理行动开展情况", (
        Column("ledger_stations", "建立返乡人员信息台账救助管理机构个数（市级、县级分别注明）", COMPUTED, "split"),
        Column("registry_stations", "建立易走失人员信息库救助管理机构个数（市级、县级分别注明）", COMPUTED, "split"),
        Column("poverty_wandering", "脱贫攻坚建档立卡人员中有流浪乞讨经历人数", COMPUTED),
        Column("four_level_network", "建立四级救助网络市、县（市、区）个数", COMPUTED),
    )),
    Group("干部队伍素质提升行动开展情况", (
        Column("staff", "干部职工总人数", COMPUTED),
        Column("off_job_2_days", "参加两天以上脱产培训人数", COMPUTED),
        Column("tested", "专项行动期间参加专业水平测试职工人数", COMPUTED),
        Column("certified", "持有社会工作者证职工人数", COMPUTED),
        Column("pay_policy", "工资倾斜政策落实情况", DECLARATION, "text"),
    )),
)

#: Every leaf column in the annex's order.
COLUMNS: tuple[Column, ...] = tuple(c for g in GROUPS for c in g.columns)
BY_KEY = {c.key: c for c in COLUMNS}
#: The two columns in front of the annex's own: its 序号, and the row's area (the annex is one county's form;
#: the city's table has a row per county).
LEAD_LABELS = ("序号", "县（市、区）")

#: The contract keys each parallel app answers (``<app>.selectors.campaign_figures``).
CONTRACT_KEYS = {
    OUTSIDECARE: ("facilities_total", "facilities_inspected", "outside_care_at", "brought_back"),
    SETTLEMENT: ("settlement_applications", "settlement_plans", "settlement_approvals", "long_term_no_hukou"),
}


def leaf_label(column: Column, as_of_text: str) -> str:
    return column.label.replace("{as_of}", as_of_text)


@dataclass(frozen=True)
class HeaderCell:
    row: int  # 0-based header row
    col: int  # 0-based column
    rowspan: int
    colspan: int
    label: str


def header_cells(as_of_text: str) -> list[HeaderCell]:
    """The annex's three header rows as merged cells: groups over their columns (row 0); a column's label over
    rows 1–2, or a sub-group's label (row 1) over its columns' labels (row 2); 序号 and the area over all three."""
    cells = [HeaderCell(0, i, 3, 1, label) for i, label in enumerate(LEAD_LABELS)]
    col = len(LEAD_LABELS)
    for group in GROUPS:
        width = len(group.columns)
        cells.append(HeaderCell(0, col, 1, width, group.label))
        for item in group.items:
            if isinstance(item, SubGroup):
                cells.append(HeaderCell(1, col, 1, len(item.columns), item.label))
                for sub in item.columns:
                    cells.append(HeaderCell(2, col, 1, 1, leaf_label(sub, as_of_text)))
                    col += 1
            else:
                cells.append(HeaderCell(1, col, 2, 1, leaf_label(item, as_of_text)))
                col += 1
    return cells


def header_grid(as_of_text: str) -> list[list[HeaderCell]]:
    """The same cells row by row (for HTML ``rowspan``/``colspan``)."""
    rows: list[list[HeaderCell]] = [[], [], []]
    for cell in header_cells(as_of_text):
        rows[cell.row].append(cell)
    return rows
