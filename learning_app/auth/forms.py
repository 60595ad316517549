"""Sign-in and password forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    login = StringField("党员编号或手机号", validators=[DataRequired("请输入党员编号或手机号"),
                                                   Length(max=32)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码"), Length(max=128)])
    # Opt-in: on a shared or borrowed phone the next person must not find us signed in.
    remember = BooleanField("在这台手机上保持登录（最长30天，公用手机请勿勾选）",
                            default=False)


class PasswordForm(FlaskForm):
    current = PasswordField("当前密码", validators=[DataRequired("请输入当前密码")])
    new = PasswordField("新密码", validators=[DataRequired("请输入新密码"), Length(max=128)])
    confirm = PasswordField("再次输入新密码",
                            validators=[EqualTo("new", "两次输入的新密码不一致")])
