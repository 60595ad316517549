"""The events the audit log records, with the label the county admin reads."""

from __future__ import annotations

ACTIONS: dict[str, str] = {
    # signing in
    "sign_in": "登录",
    "sign_in_failed": "登录失败",
    "sign_in_throttled": "登录过于频繁被延缓",
    "sign_out": "退出登录",
    "password_changed": "修改密码",
    "activation_issued": "发放开通码",
    "activation_used": "使用开通码开通账号",
    "activation_failed": "开通码错误",
    # accounts and membership
    "role_changed": "变更角色或管理范围",
    "member_edited": "修改党员信息",
    "exemption": "设置或取消免学",
    "transfer": "组织关系转接",
    "leave": "出党、去世等离册",
    "import": "导入名册或组织",
    # credit and tests
    "correction": "更正学时",
    "training": "登记线下培训",
    "override": "调整考试安排",
    "override_removed": "取消考试安排调整",
    "regrade": "更正评分",
    "bank_import": "导入题库",
    # the newsroom (在线采编)
    "news_submit": "稿件送审",
    "news_recall": "撤回送审",
    "news_approve": "稿件审核通过或签发",
    "news_return": "稿件退回修改",
    "news_edit": "修改送审或已签发的稿件",
    "news_publish": "稿件上线",
    "news_withdraw": "撤稿",
    "news_config": "设置在线采编（审核级别、错敏词、更新时限）",
    # data leaving the system
    "export": "导出数据",
    # operations
    "backup": "备份数据库",
    "restore": "恢复数据库",
}


def label(action: str) -> str:
    return ACTIONS.get(action, action)
