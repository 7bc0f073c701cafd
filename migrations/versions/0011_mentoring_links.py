"""mentoring links: a follow-up's last reminder, a training registration's mentor; a
mentor's e-mail unique within its mission locale (no longer across all of them)

Revision ID: 0011_mentoring_links
Revises: 0010_mentoring
Create Date: 2026-12-04 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011_mentoring_links'
down_revision = '0010_mentoring'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('mentor', schema=None) as batch_op:
        batch_op.drop_constraint('uq_mentor_email', type_='unique')
        batch_op.create_unique_constraint('uq_mentor_ml_email', ['mission_locale_id', 'email'])

    with op.batch_alter_table('pairing_follow_up', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminded_on', sa.Date(), nullable=True))

    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mentor_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_registration_mentor_id'), ['mentor_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_registration_mentor_id_mentor'), 'mentor',
                                    ['mentor_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_registration_mentor_id_mentor'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_registration_mentor_id'))
        batch_op.drop_column('mentor_id')

    with op.batch_alter_table('pairing_follow_up', schema=None) as batch_op:
        batch_op.drop_column('reminded_on')

    with op.batch_alter_table('mentor', schema=None) as batch_op:
        batch_op.drop_constraint('uq_mentor_ml_email', type_='unique')
        batch_op.create_unique_constraint('uq_mentor_email', ['email'])
