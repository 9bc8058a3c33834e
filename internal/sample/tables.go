package sample

import ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"

// This file holds the fixed tables the generator draws from: regions,
// agency kinds with their catalogue templates, and name parts. Region codes
// are real administrative division codes (行政区划代码); the laws are real laws
// and the articles are the ones that the items rest on to the best of our
// knowledge, but every agency, officer and enterprise built from them is
// invented.

// county is a county-level division (区、县、县级市).
type county struct {
	code string
	name string
	// city is the short name of its city ("成都"), used in enterprise names.
	city string
}

// city is a prefecture-level city and the counties the generator uses.
type city struct {
	code     string
	name     string // 成都市
	short    string // 成都
	counties []county
}

func mkCity(code, name, short string, cs ...string) city {
	c := city{code: code, name: name, short: short}
	for i := 0; i+1 < len(cs); i += 2 {
		c.counties = append(c.counties, county{code: cs[i], name: cs[i+1], city: short})
	}
	return c
}

var cities = []city{
	mkCity("510100", "成都市", "成都",
		"510104", "锦江区", "510105", "青羊区", "510106", "金牛区", "510107", "武侯区", "510108", "成华区",
		"510112", "龙泉驿区", "510113", "青白江区", "510114", "新都区", "510115", "温江区", "510116", "双流区"),
	mkCity("510600", "德阳市", "德阳",
		"510603", "旌阳区", "510604", "罗江区", "510623", "中江县", "510681", "广汉市", "510682", "什邡市", "510683", "绵竹市"),
	mkCity("510700", "绵阳市", "绵阳",
		"510703", "涪城区", "510704", "游仙区", "510705", "安州区", "510722", "三台县", "510723", "盐亭县",
		"510725", "梓潼县", "510781", "江油市"),
	mkCity("440300", "深圳市", "深圳",
		"440303", "罗湖区", "440304", "福田区", "440305", "南山区", "440306", "宝安区", "440307", "龙岗区",
		"440308", "盐田区", "440309", "龙华区", "440310", "坪山区", "440311", "光明区"),
}

// provinces maps a province code to its name; its counties are those of the
// cities above whose code shares the first two digits.
var provinces = map[string]string{
	"510000": "四川省",
	"440000": "广东省",
}

// agencyKind is one kind of enforcement body and its catalogue template.
type agencyKind struct {
	// names by level: province, city, county.
	province, city, county string
	// level is the level of the kind's base agency in a city-wide directory.
	level ruqiv1.AgencyLevel
	// countyIndex picks the county of a county-level base agency.
	countyIndex int
	items       []itemTemplate
}

type itemTemplate struct {
	name, law, article, domain string
	retired                    bool
}

// Law names, each with its book-title marks.
const (
	lawFood         = "《中华人民共和国食品安全法》"
	lawSpecialEquip = "《中华人民共和国特种设备安全法》"
	lawProduct      = "《中华人民共和国产品质量法》"
	lawMetrology    = "《中华人民共和国计量法》"
	lawEnv          = "《中华人民共和国环境保护法》"
	lawAir          = "《中华人民共和国大气污染防治法》"
	lawWater        = "《中华人民共和国水污染防治法》"
	lawSolid        = "《中华人民共和国固体废物污染环境防治法》"
	lawWorkSafety   = "《中华人民共和国安全生产法》"
	lawHazChem      = "《危险化学品安全管理条例》"
	lawFire         = "《中华人民共和国消防法》"
	lawOccDisease   = "《中华人民共和国职业病防治法》"
	lawPublicPlaces = "《公共场所卫生管理条例》"
	lawLabourInsp   = "《劳动保障监察条例》"
	lawLabour       = "《中华人民共和国劳动法》"
	lawSocialIns    = "《中华人民共和国社会保险法》"
	lawChildLabour  = "《禁止使用童工规定》"
	lawRoad         = "《中华人民共和国道路运输条例》"
	lawEntertain    = "《娱乐场所管理条例》"
	lawTourism      = "《中华人民共和国旅游法》"
	lawInternetCafe = "《互联网上网服务营业场所管理条例》"
	lawPerformance  = "《营业性演出管理条例》"
	lawCityLook     = "《城市市容和环境卫生管理条例》"
)

// Domains (检查领域).
const (
	domFood     = "食品安全"
	domEquip    = "特种设备"
	domProduct  = "产品质量"
	domEnv      = "生态环境"
	domSafety   = "安全生产"
	domFire     = "消防安全"
	domOcc      = "职业卫生"
	domPublic   = "公共卫生"
	domLabour   = "劳动保障"
	domTraffic  = "交通运输"
	domCulture  = "文化旅游"
	domCityLook = "市容环境"
)

// sharedFireCheck is listed by both 应急管理局 (AG-03, as CI-0017) and
// 消防救援支队 (AG-04, as CI-0018) with the same name and legal basis, so that
// merging a joint inspection (综合查一次) can deduplicate it.
var sharedFireCheck = itemTemplate{
	name: "消防设施器材完好有效情况检查", law: lawFire, article: "第十六条", domain: domFire,
}

// kinds are the nine agency kinds, in the order of their ids AG-01..AG-09.
// Retired items: CI-0006 (计量器具强制检定, AG-01) and CI-0024 (建设工程消防设计
// 审核, AG-04, a duty moved to 住房和城乡建设部门 in 2019).
var kinds = []agencyKind{
	{ // AG-01
		province: "市场监督管理局", city: "市场监督管理局", county: "市场监督管理局",
		level: ruqiv1.AgencyLevel_AGENCY_LEVEL_CITY,
		items: []itemTemplate{
			{name: "食品经营许可证公示及持证经营情况检查", law: lawFood, article: "第三十五条", domain: domFood},
			{name: "食品生产经营企业食品安全管理制度落实情况检查", law: lawFood, article: "第四十四条", domain: domFood},
			{name: "食品安全监督抽样检验", law: lawFood, article: "第八十七条", domain: domFood},
			{name: "特种设备使用登记和定期检验情况检查", law: lawSpecialEquip, article: "第五十七条", domain: domEquip},
			{name: "产品质量监督抽查", law: lawProduct, article: "第十五条", domain: domProduct},
			{name: "计量器具强制检定情况检查", law: lawMetrology, article: "第九条", domain: domProduct, retired: true},
		},
	},
	{ // AG-02
		province: "生态环境厅", city: "生态环境局", county: "生态环境局",
		level: ruqiv1.AgencyLevel_AGENCY_LEVEL_CITY,
		items: []itemTemplate{
			{name: "大气污染物排放情况检查", law: lawAir, article: "第二十九条", domain: domEnv},
			{name: "水污染物排放情况检查", law: lawWater, article: "第三十条", domain: domEnv},
			{name: "排污许可证执行情况检查", law: lawEnv, article: "第四十五条", domain: domEnv},
			{name: "建设项目环境影响评价执行情况检查", law: lawEnv, article: "第十九条", domain: domEnv},
			{name: "危险废物识别标志设置及贮存情况检查", law: lawSolid, article: "第七十七条", domain: domEnv},
		},
	},
	{ // AG-03
		province: "应急管理厅", city: "应急管理局", county: "应急管理局",
		level: ruqiv1.AgencyLevel_AGENCY_LEVEL_COUNTY, countyIndex: 0,
		items: []itemTemplate{
			{name: "安全生产责任制落实情况检查", law: lawWorkSafety, article: "第六十五条", domain: domSafety},
			{name: "从业人员安全生产教育和培训情况检查", law: lawWorkSafety, article: "第二十八条", domain: domSafety},
			{name: "动火、有限空间等危险作业现场安全管理情况检查", law: lawWorkSafety, article: "第四十三条", domain: domSafety},
			{name: "生产安全事故应急救援预案制定和演练情况检查", law: lawWorkSafety, article: "第八十一条", domain: domSafety},
			{name: "危险化学品安全管理情况检查", law: lawHazChem, article: "第六条", domain: domSafety},
			sharedFireCheck,
		},
	},
	{ // AG-04
		province: "消防救援总队", city: "消防救援支队", county: "消防救援大队",
		level: ruqiv1.AgencyLevel_AGENCY_LEVEL_CITY,
		items: []itemTemplate{
			sharedFireCheck,
			{name: "单位遵守消防法律法规情况监督检查", law: lawFire, article: "第五十三条", domain: domFire},
			{name: "公众聚集场所投入使用、营业前消防安全检查", law: lawFire, article: "第十五条", domain: domFire},
			{name: "消防安全重点单位履行消防安全职责情况检查", law: lawFire, article: "第十七条", domain: domFire},
			{name: "疏散通道、安全出口畅通情况检查", law: lawFire, article: "第二十八条", domain: domFire},
			{name: "自动消防系统操作人员持证上岗情况检查", law: lawFire, article: "第二十一条", domain: domFire},
			{name: "建设工程消防设计审核和消防验收情况检查", law: lawFire, article: "第十一条", domain: domFire, retired: true},
		},
	},
	{ // AG-05
		province: "卫生健康委员会", city: "卫生健康委员会", county: "卫生健康局",
		level: ruqiv1.AgencyLevel_AGENCY_LEVEL_CITY,
		items: []itemTemplate{
			{name: "用人单位职业病危害因素检测情况检查", law: lawOccDisease, article: "第二十六条", domain: domOcc},
			{name: "职业病危害项目申报情况检查", law: lawOccDisease, article: "第十六条", domain: domOcc},
			{name: "劳动者职业健康检查情况检查", law: lawOccDisease, article: "第三十五条", domain: domOcc},
			{name: "公共场所从业人员健康合格证明持有情况检查", law: lawPublicPlaces, article: "第七条", domain: domPublic},
			{name: "公共场所卫生状况监督检查", law: lawPublicPlaces, article: "第十条", domain: domPublic},
		},
	},
	{ // AG-06
		province: "人力资源和社会保障厅", city: "人力资源和社会保障局", county: "人力资源和社会保障局",
		level: ruqiv1.AgencyLevel_AGENCY_LEVEL_COUNTY, countyIndex: 3,
		items: []itemTemplate{
			{name: "劳动合同签订及工资支付情况检查", law: lawLabourInsp, article: "第十五条", domain: domLabour},
			{name: "社会保险费缴纳情况检查", law: lawSocialIns, article: "第七十七条", domain: domLabour},
			{name: "工作时间和休息休假规定执行情况检查", law: lawLabour, article: "第三十六条", domain: domLabour},
			{name: "女职工和未成年工特殊劳动保护情况检查", law: lawLabour, article: "第五十八条", domain: domLabour},
			{name: "禁止使用童工规定遵守情况检查", law: lawChildLabour, article: "第二条", domain: domLabour},
		},
	},
	{ // AG-07
		province: "交通运输厅", city: "交通运输局", county: "交通运输局",
		level: ruqiv1.AgencyLevel_AGENCY_LEVEL_CITY,
		items: []itemTemplate{
			{name: "道路运输经营许可情况检查", law: lawRoad, article: "第六十二条", domain: domTraffic},
			{name: "营运车辆维护和检测情况检查", law: lawRoad, article: "第三十条", domain: domTraffic},
			{name: "货运驾驶人员从业条件情况检查", law: lawRoad, article: "第二十二条", domain: domTraffic},
			{name: "危险货物运输押运人员配备情况检查", law: lawRoad, article: "第二十七条", domain: domTraffic},
			{name: "机动车维修经营条件情况检查", law: lawRoad, article: "第三十七条", domain: domTraffic},
		},
	},
	{ // AG-08
		province: "文化和旅游厅", city: "文化广电旅游局", county: "文化广电旅游局",
		level: ruqiv1.AgencyLevel_AGENCY_LEVEL_COUNTY, countyIndex: 1,
		items: []itemTemplate{
			{name: "娱乐场所经营许可及经营活动情况检查", law: lawEntertain, article: "第九条", domain: domCulture},
			{name: "互联网上网服务营业场所接纳未成年人情况检查", law: lawInternetCafe, article: "第二十一条", domain: domCulture},
			{name: "营业性演出活动情况检查", law: lawPerformance, article: "第三十五条", domain: domCulture},
			{name: "旅行社经营行为情况检查", law: lawTourism, article: "第八十三条", domain: domCulture},
			{name: "旅游景区开放条件及安全管理情况检查", law: lawTourism, article: "第四十二条", domain: domCulture},
		},
	},
	{ // AG-09
		province: "城市管理局", city: "城市管理局", county: "城市管理局",
		level: ruqiv1.AgencyLevel_AGENCY_LEVEL_COUNTY, countyIndex: 2,
		items: []itemTemplate{
			{name: "户外广告设施设置情况检查", law: lawCityLook, article: "第十一条", domain: domCityLook},
			{name: "门前市容环境卫生责任区落实情况检查", law: lawCityLook, article: "第十条", domain: domCityLook},
			{name: "散装货物运输车辆密闭覆盖情况检查", law: lawCityLook, article: "第十六条", domain: domCityLook},
			{name: "生活垃圾分类投放情况检查", law: lawSolid, article: "第四十九条", domain: domCityLook},
			{name: "餐饮服务业油烟净化设施安装使用情况检查", law: lawAir, article: "第八十一条", domain: domCityLook},
		},
	},
}

// Officer name parts.
var (
	surnames = []string{
		"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
		"何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
		"肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
		"任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏",
		"韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱", "江", "尹", "薛", "段", "雷", "侯", "龙",
		"史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵", "万", "严", "向", "汤", "欧阳", "司马",
	}
	givenChars = []string{
		"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
		"超", "秀", "霞", "平", "刚", "桂", "英", "华", "玉", "兰", "红", "建", "国", "文", "斌", "宇",
		"浩", "凯", "鹏", "飞", "晨", "瑶", "欣", "怡", "佳", "琳", "雪", "梅", "婷", "慧", "俊", "峰",
		"志", "海", "波", "亮", "辉", "鑫", "雨", "思", "博", "天", "成", "林", "倩", "颖", "晓", "东",
		"春", "秋", "冬", "阳", "帆", "楠", "蕾", "萍", "钰", "昊", "然", "涵", "轩", "宁", "川", "蓉",
	}
)

// Enterprise name parts. Trade names (字号) are two characters, one from each
// table.
var (
	tradeFirst = []string{
		"蜀", "锦", "天", "府", "川", "蓉", "金", "华", "鑫", "瑞", "恒", "泰", "宏", "盛", "达", "信",
		"安", "和", "祥", "福", "嘉", "兴", "隆", "源", "丰", "德", "顺", "永", "康", "宇", "博", "佳",
		"美", "新", "汇", "聚", "创", "益", "通", "盈", "景", "明", "润", "昌", "正", "远", "鸿", "峨",
	}
	tradeSecond = []string{
		"源", "达", "盛", "泰", "华", "兴", "祥", "瑞", "丰", "诚", "信", "利", "通", "辉", "鑫", "宸",
		"禾", "味", "香", "锦", "程", "航", "川", "邦", "森", "茂", "运", "乐", "悦", "臻", "睿", "逸",
		"品", "居", "晟", "昇", "坤", "和", "安", "成", "合", "鼎", "众", "然", "尚", "汇", "佳", "隆",
	}
)

// industry is an enterprise's industry, its share of enterprises in percent,
// and the name endings used for it: companies (有限公司, USCC "91…") and
// individual businesses (个体工商户, USCC "92…").
type industry struct {
	name        string
	percent     int
	companies   []string
	individuals []string
}

// individualPercent is the share of individual businesses in the industries
// that have them; about 16% of all enterprises.
const individualPercent = 25

var industries = []industry{
	{"餐饮", 20, []string{"餐饮管理有限公司", "餐饮有限公司", "火锅有限公司"}, []string{"火锅店", "小吃店", "串串香店"}},
	{"零售", 17, []string{"商贸有限公司", "超市有限公司", "百货有限公司"}, []string{"便利店", "百货店"}},
	{"制造业", 14, []string{"机械制造有限公司", "电子科技有限公司", "家具制造有限公司"}, []string{"五金制品厂"}},
	{"食品生产", 8, []string{"食品有限公司", "食品科技有限公司", "调味品有限公司"}, nil},
	{"建筑施工", 8, []string{"建筑工程有限公司", "建设工程有限公司", "建筑劳务有限公司"}, nil},
	{"仓储物流", 8, []string{"物流有限公司", "供应链管理有限公司", "仓储服务有限公司"}, nil},
	{"运输", 8, []string{"运输有限公司", "汽车运输有限公司", "客运有限公司"}, nil},
	{"化工", 4, []string{"化工有限公司", "新材料科技有限公司", "涂料有限公司"}, nil},
	{"娱乐场所", 6, []string{"文化娱乐有限公司", "量贩KTV有限公司"}, []string{"网咖"}},
	{"医疗机构", 7, []string{"医院有限公司", "口腔门诊部有限公司"}, []string{"诊所"}},
}

// creditPercent is the share in percent of grades A, B, C and D.
var creditPercent = [4]int{20, 50, 25, 5}

const sampleMark = "（样例）"
