//! Report renderers: the dashboard's charts as SVG and the spreadsheets (the ledger 台账,
//! the monthly assessment, the enterprise import template) as CSV and XLSX, and the weekly
//! bulletin as a Word document. They draw what they are given; what goes into them is the
//! services' business.

pub mod charts;
pub mod docx;
pub mod sheets;
mod svg;
