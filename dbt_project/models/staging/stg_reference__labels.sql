-- The Vietnamese word for each code the models write into a message (labels_vi.csv, `value`
-- rows: report.students → Dữ liệu học sinh, period.dau_nam → Đầu năm): a follow-up list or
-- a warning names the report and the period as the office says them (issue 19, item 6).
with source as (
    select * from {{ source('reference', 'labels_vi') }}
),

renamed as (
    select
        value_of,
        code,
        label_vi
    from source
    where kind = 'value'
)

select * from renamed
