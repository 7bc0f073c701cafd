"""operations: installation facts (key check value), scheduled job runs, access log of
youth-level data

Revision ID: 0012_operations
Revises: 0011_mentoring_links
Create Date: 2026-12-04 05:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012_operations'
down_revision = '0011_mentoring_links'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'app_state',
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('value', sa.String(length=500), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_app_state')))
    op.create_table(
        'job_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job', sa.String(length=60), nullable=False),
        sa.Column('trigger', sa.String(length=20), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('duration_ms', sa.Integer(), nullable=True),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_run')))
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_run_job'), ['job'], unique=False)
        batch_op.create_index('ix_job_run_job_started', ['job', 'started_at'], unique=False)
    op.create_table(
        'data_access',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('user_email', sa.String(length=254), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('mission_locale_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('what', sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(['mission_locale_id'], ['mission_locale.id'],
                                name=op.f('fk_data_access_mission_locale_id_mission_locale'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_data_access')))
    with op.batch_alter_table('data_access', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_access_occurred_at'), ['occurred_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_data_access_mission_locale_id'),
                              ['mission_locale_id'], unique=False)


def downgrade():
    op.drop_table('data_access')
    op.drop_table('job_run')
    op.drop_table('app_state')
